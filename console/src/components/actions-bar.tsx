/**
 * The actions of a page — a deployment's (approve and reject while a pause waits, reject asking for a
 * reason; stop, stop without rollback, promote, rollback, …) or a release's (stop, stop without
 * rollback): each disabled (with the reason as its tooltip) when it does not apply, each confirmed in a
 * modal dialog, each answered on the page with what the API said.
 */
import { useRef, useState } from 'preact/hooks';
import { type Action, perform } from '../actions.ts';

export function ActionsBar({ actions }: { actions: Action[] }) {
  const dialog = useRef<HTMLDialogElement>(null);
  const [pending, setPending] = useState<Action>();
  const [busy, setBusy] = useState(false);
  const [answer, setAnswer] = useState<{ ok: boolean; message: string }>();
  const [reason, setReason] = useState('');

  const ask = (a: Action) => {
    setPending(a);
    setReason('');
    setAnswer(undefined);
    dialog.current?.showModal();
  };
  const confirm = async () => {
    if (!pending) return;
    setBusy(true);
    try {
      setAnswer(await perform(pending, reason));
    } finally {
      setBusy(false);
      dialog.current?.close();
    }
  };
  return (
    <div class="actions">
      <div class="action-buttons">
        {actions.map((a) => (
          <button
            key={a.name}
            type="button"
            class={`btn btn-${a.name}`}
            data-action={a.name}
            disabled={a.disabled !== undefined || busy}
            title={a.disabled ?? a.confirm}
            onClick={() => ask(a)}
          >
            {a.label}
          </button>
        ))}
      </div>
      {answer && (
        <p
          class={`answer ${answer.ok ? 'ok' : 'error'}`}
          role="status"
          data-answer={answer.ok ? 'ok' : 'error'}
        >
          {answer.message}
        </p>
      )}
      <dialog ref={dialog} class="confirm" onClose={() => setPending(undefined)}>
        {pending && (
          <form method="dialog" onSubmit={(e) => e.preventDefault()}>
            <h3>{pending.label}</h3>
            <p>{pending.confirm}</p>
            {pending.needsReason && (
              <textarea
                class="reason"
                data-reason={pending.name}
                maxLength={1024}
                required
                value={reason}
                onInput={(e) => setReason((e.target as HTMLTextAreaElement).value)}
              />
            )}
            <div class="dialog-buttons">
              <button type="button" class="btn" onClick={() => dialog.current?.close()} disabled={busy}>
                Cancel
              </button>
              <button
                type="button"
                class={`btn btn-primary btn-${pending.name}`}
                data-confirm={pending.name}
                onClick={confirm}
                disabled={busy || (pending.needsReason === true && reason.trim() === '')}
              >
                {busy ? 'Sending…' : pending.label}
              </button>
            </div>
          </form>
        )}
      </dialog>
    </div>
  );
}
