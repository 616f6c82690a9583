/**
 * Simulated Lambda: functions with published versions and weighted aliases, and the hook functions.
 *
 * It keeps AWS's alias rules — one additional version per alias, weights within [0, 1], the additional
 * version differs from the primary, every version it names exists, a RevisionId that changes on every
 * update — and answers a broken rule with the error AWS would. It is the Lambda groups' `TrafficRouter`
 * and, since a hook is a Lambda function invoked by name, the `HookRunner`.
 */
import { aliasRuleBroken, type LambdaRouting } from '../../functions/core/alias.ts';
import { describeRouting } from '../../functions/core/deployment.ts';
import { StepShiftError } from '../../functions/core/errors.ts';
import type { LambdaGroup } from '../../functions/core/group-config.ts';
import type { HookPayload, HookResult, HookRunner, TrafficRouter } from '../../functions/ports.ts';
import type { ControlPlane } from './control-plane.ts';

/** How a version behaves under traffic. */
export interface VersionProfile {
  /** Fraction of invocations that fail, 0–1. */
  errorRate: number;
  /** Typical duration in milliseconds. */
  latencyMs: number;
  /** SHA-256 of the code a version was published from (an artifact); absent for versions made by profile. */
  codeSha256?: string;
}

export interface Alias {
  version: string;
  weights: Record<string, number>;
  revisionId: number;
}

/** A function as the account persists it. */
export interface LambdaFunction {
  versions: Map<string, VersionProfile>;
  aliases: Map<string, Alias>;
  /** Synthetic requests per virtual second through each alias. */
  rps: number;
}

export type HookFunction = (payload: HookPayload) => HookResult | Promise<HookResult>;

/** One alias as synthetic traffic sees it. */
export interface AliasRoute {
  functionName: string;
  alias: string;
  rps: number;
  version: string;
  weights: Readonly<Record<string, number>>;
}

export class SimulatedLambda implements TrafficRouter, HookRunner {
  /** Hook functions are code, not state: registered again at every start, never persisted. */
  private readonly hookFunctions = new Map<string, HookFunction>();

  /** `functions` is the durable state, owned and persisted by the account. */
  constructor(
    private readonly control: ControlPlane,
    private readonly functions = new Map<string, LambdaFunction>(),
  ) {}

  // ── set-up (what `aws lambda create-function`, `publish-version`, `create-alias` would do) ──

  createFunction(
    name: string,
    profile: VersionProfile,
    options: { alias?: string; rps?: number } = {},
  ): void {
    const fn: LambdaFunction = {
      versions: new Map([['1', profile]]),
      aliases: new Map(),
      rps: options.rps ?? 50,
    };
    this.functions.set(name, fn);
    if (options.alias) fn.aliases.set(options.alias, { version: '1', weights: {}, revisionId: 1 });
    this.control.changed();
  }

  /** Publishes a new version with that behaviour; returns its number. */
  publishVersion(name: string, profile: VersionProfile): string {
    const fn = this.fn(name);
    const version = String(fn.versions.size + 1);
    fn.versions.set(version, profile);
    this.control.changed();
    return version;
  }

  /**
   * UpdateFunctionCode + PublishVersion of one artifact. As Lambda, publishing code identical to the last
   * published version's returns that version instead of a new one: a redelivered artifact event gets the
   * version its first delivery made.
   */
  publishCode(name: string, codeSha256: string, profile: VersionProfile): string {
    const fn = this.fn(name);
    this.control.record('UpdateFunctionCode', { functionName: name, codeSha256 });
    const last = [...fn.versions].at(-1);
    if (last && last[1].codeSha256 === codeSha256) return last[0];
    this.control.record('PublishVersion', { functionName: name, codeSha256 });
    return this.publishVersion(name, { ...profile, codeSha256 });
  }

  hasFunction(name: string): boolean {
    return this.functions.has(name);
  }

  /** Creates `alias` on version 1 unless it exists: a config may add an alias to a function already made. */
  ensureAlias(functionName: string, alias: string): void {
    const fn = this.fn(functionName);
    if (fn.aliases.has(alias)) return;
    fn.aliases.set(alias, { version: '1', weights: {}, revisionId: 1 });
    this.control.changed();
  }

  /** Sets the synthetic requests per virtual second through each alias of the function. */
  setRps(functionName: string, rps: number): void {
    this.fn(functionName).rps = rps;
    this.control.changed();
  }

  /** Number of published versions (version 1 included). */
  versionCount(functionName: string): number {
    return this.fn(functionName).versions.size;
  }

  hasHook(functionName: string): boolean {
    return this.hookFunctions.has(functionName);
  }

  registerHook(functionName: string, fn: HookFunction): void {
    this.hookFunctions.set(functionName, fn);
  }

  /** Changes the alias behind stepshift's back (for drift tests and rehearsals). */
  setAliasRouting(
    functionName: string,
    alias: string,
    version: string,
    weights: Record<string, number> = {},
  ): void {
    this.writeAlias(functionName, alias, version, weights);
  }

  aliasRouting(functionName: string, alias: string): LambdaRouting {
    const a = this.alias(functionName, alias);
    return { kind: 'lambda', version: a.version, additionalVersionWeights: { ...a.weights } };
  }

  describeAlias(functionName: string, alias: string): string {
    return describeRouting(this.aliasRouting(functionName, alias));
  }

  // ── what synthetic traffic reads ──

  /** Every alias of every function, in creation order. */
  routes(): AliasRoute[] {
    return [...this.functions].flatMap(([functionName, fn]) =>
      [...fn.aliases].map(([alias, a]) => ({
        functionName,
        alias,
        rps: fn.rps,
        version: a.version,
        weights: a.weights,
      })),
    );
  }

  versionProfile(functionName: string, version: string): VersionProfile | undefined {
    return this.functions.get(functionName)?.versions.get(version);
  }

  // ── the ports ──

  async current(group: LambdaGroup): Promise<LambdaRouting> {
    this.control.record('GetAlias', group.target);
    this.control.fault('GetAlias');
    return this.aliasRouting(group.target.functionName, group.target.alias);
  }

  async revisionExists(group: LambdaGroup, revision: string): Promise<boolean> {
    return this.fn(group.target.functionName).versions.has(revision);
  }

  async apply(group: LambdaGroup, routing: LambdaRouting): Promise<LambdaRouting> {
    return this.updateAlias(group.target.functionName, group.target.alias, routing.version, {
      ...routing.additionalVersionWeights,
    });
  }

  async invoke(functionName: string, payload: HookPayload): Promise<HookResult> {
    this.control.record('Invoke', { functionName, payload });
    const fn = this.hookFunctions.get(functionName);
    if (!fn) return { status: 'Failed', reason: `Function not found: ${functionName}` };
    try {
      return await fn(payload);
    } catch (e) {
      return { status: 'Failed', reason: `function error: ${e instanceof Error ? e.message : String(e)}` };
    }
  }

  /** UpdateAlias with AWS's rules; throws what AWS would answer. */
  private updateAlias(functionName: string, alias: string, version: string, weights: Record<string, number>) {
    this.control.record('UpdateAlias', { functionName, alias, version, weights });
    this.control.fault('UpdateAlias');
    const fn = this.fn(functionName);
    if (!fn.versions.has(version)) throw new StepShiftError(`ResourceNotFoundException: version ${version}`);
    const broken = aliasRuleBroken({ kind: 'lambda', version, additionalVersionWeights: weights });
    if (broken) throw new StepShiftError(`InvalidParameterValueException: ${broken}`);
    for (const v of Object.keys(weights)) {
      if (!fn.versions.has(v)) throw new StepShiftError(`ResourceNotFoundException: version ${v}`);
    }
    this.writeAlias(functionName, alias, version, weights);
    return this.aliasRouting(functionName, alias);
  }

  private writeAlias(functionName: string, alias: string, version: string, weights: Record<string, number>) {
    const a = this.alias(functionName, alias);
    a.version = version;
    a.weights = Object.fromEntries(Object.entries(weights).filter(([, w]) => w > 0));
    a.revisionId += 1;
    this.control.changed();
  }

  private fn(name: string): LambdaFunction {
    const fn = this.functions.get(name);
    if (!fn) throw new StepShiftError(`ResourceNotFoundException: Function not found: ${name}`);
    return fn;
  }

  private alias(functionName: string, alias: string): Alias {
    const a = this.fn(functionName).aliases.get(alias);
    if (!a) throw new StepShiftError(`ResourceNotFoundException: Alias not found: ${functionName}:${alias}`);
    return a;
  }
}
