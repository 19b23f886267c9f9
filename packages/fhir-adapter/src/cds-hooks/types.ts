import type { Coding } from '@medplum/fhirtypes';

/** A CDS Service as listed by discovery (CDS Hooks 2.0). */
export interface CdsServiceDefinition {
  readonly hook: string;
  readonly title?: string;
  readonly description: string;
  readonly id: string;
  readonly prefetch?: Readonly<Record<string, string>>;
  readonly usageRequirements?: string;
}

/** The discovery response. */
export interface CdsDiscoveryResponse {
  readonly services: readonly CdsServiceDefinition[];
}

/** A link on a card; `smart` links launch a SMART app. */
export interface CdsLink {
  readonly label: string;
  readonly url: string;
  readonly type: 'absolute' | 'smart';
  readonly appContext?: string;
  readonly autolaunchable?: boolean;
}

/** The source of a card. */
export interface CdsSource {
  readonly label: string;
  readonly url?: string;
  readonly icon?: string;
  readonly topic?: Coding;
}

/** A CDS Hooks card. */
export interface CdsCard {
  readonly uuid?: string;
  /** Under 140 characters. */
  readonly summary: string;
  readonly detail?: string;
  readonly indicator: 'info' | 'warning' | 'critical';
  readonly source: CdsSource;
  readonly links?: readonly CdsLink[];
  readonly overrideReasons?: readonly Coding[];
  readonly selectionBehavior?: 'at-most-one' | 'any';
}

/** The response to a hook call. */
export interface CdsHookResponse {
  readonly cards: readonly CdsCard[];
}

/** One feedback item as sent by the CDS Client. */
export interface CdsFeedbackItem {
  readonly card: string;
  readonly outcome: 'accepted' | 'overridden';
  readonly acceptedSuggestions?: ReadonlyArray<{ readonly id: string }>;
  readonly overrideReason?: { readonly reason?: Coding; readonly userComment?: string };
  readonly outcomeTimestamp: string;
}

/** What the feedback sink stores for each item. */
export interface FeedbackRecord extends CdsFeedbackItem {
  readonly serviceId: string;
  /** `iss` of the verified JWT of the CDS Client, when authenticated. */
  readonly client: string | undefined;
  readonly receivedAt: string;
}

/** Where feedback goes (a database, a log…). */
export interface FeedbackSink {
  record(items: readonly FeedbackRecord[]): void | Promise<void>;
}

/** A framework-neutral HTTP request. */
export interface CdsHttpRequest {
  readonly method: string;
  /** Path of the URL, e.g. /cds-services/cardio-risk. */
  readonly path: string;
  readonly headers: Readonly<Record<string, string | readonly string[] | undefined>>;
  /** Parsed JSON body. */
  readonly body?: unknown;
}

/** A framework-neutral HTTP response (body is JSON). */
export interface CdsHttpResponse {
  readonly status: number;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: unknown;
}
