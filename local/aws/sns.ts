/**
 * Simulated SNS: what local mode would have published to a notification's topic. No topic exists on a
 * laptop, so each publish is recorded (topic, message, virtual time) for a test, a rehearsal or the demo
 * output to read; nothing is sent anywhere.
 */
export interface SnsPublish {
  topicArn: string;
  /** The message as SNS would carry it: the notification's JSON body. */
  message: string;
  /** ISO time on local mode's clock. */
  at: string;
}

export class SimulatedSns {
  readonly published: SnsPublish[] = [];
  private readonly listeners = new Set<(publish: SnsPublish) => void>();

  /** Records the publish and tells the listeners (the demo prints it). Never fails. */
  publish(entry: SnsPublish): void {
    this.published.push(entry);
    for (const listener of this.listeners) listener(entry);
  }

  onPublish(listener: (publish: SnsPublish) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }
}
