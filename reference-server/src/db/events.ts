import type { Database, Queryable } from './database.js';

/** A change other instances must hear about (their caches depend on it). */
export type ServerEvent =
  | { readonly t: 'models' }
  | { readonly t: 'user'; readonly id: string }
  | { readonly t: 'session'; readonly id: string }
  | { readonly t: 'token'; readonly id: string }
  | { readonly t: 'settings' }
  | { readonly t: 'run'; readonly id: string }
  | { readonly t: 'batch'; readonly id: string }
  /** Notifications may have been lost (the listening connection dropped): drop every cache. */
  | { readonly t: 'reset' };

const CHANNEL = 'cairn_events';

/** Cross-instance events over LISTEN/NOTIFY: published inside the transaction that made the change, delivered on commit. */
export interface EventBus {
  publish(tx: Queryable, event: ServerEvent): Promise<void>;
  on(handler: (event: ServerEvent) => void): () => void;
  close(): Promise<void>;
}

/** Starts listening for events on the database. */
export async function createEventBus(db: Database, onError: (error: unknown) => void): Promise<EventBus> {
  const handlers = new Set<(event: ServerEvent) => void>();
  const dispatch = (event: ServerEvent) => {
    for (const h of handlers) {
      try {
        h(event);
      } catch (error) {
        onError(error);
      }
    }
  };
  const unlisten = await db.listen(
    CHANNEL,
    (payload) => {
      let event: ServerEvent;
      try {
        event = JSON.parse(payload) as ServerEvent;
      } catch {
        return;
      }
      dispatch(event);
    },
    () => dispatch({ t: 'reset' }),
  );
  return {
    async publish(tx, event) {
      await tx.query('select pg_notify($1, $2)', [CHANNEL, JSON.stringify(event)]);
      // This instance drops its caches as soon as the change commits; others when the notification arrives.
      tx.afterCommit?.(() => dispatch(event));
    },
    on(handler) {
      handlers.add(handler);
      return () => handlers.delete(handler);
    },
    async close() {
      handlers.clear();
      await unlisten();
    },
  };
}
