/** Types for fake-upstream.mjs (plain ESM, so that bench/ needs no build step). */
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export declare function openaiEvents(pieces: readonly string[], options?: { id?: string; model?: string }): string[];
export declare function anthropicEvents(pieces: readonly string[], options?: { id?: string; model?: string }): string[];

export interface ReplayOptions {
  /** Awaited before event i (i >= 1) is written. */
  readonly beforeEvent?: (i: number) => Promise<unknown>;
  /** Otherwise, a pause before each event after the first. */
  readonly gapMs?: number;
  readonly headers?: Record<string, string>;
}

/** Resolves once `response` can take more (`drain`) or has closed. */
export declare function drained(response: ServerResponse): Promise<void>;

export declare function replayEvents(response: ServerResponse, events: readonly string[], options?: ReplayOptions): Promise<number>;

export interface RecordedRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Buffer;
  /** The client's port: requests on one kept-alive connection have the same. */
  readonly remotePort: number;
}

export interface FakeUpstream {
  readonly url: string;
  readonly requests: RecordedRequest[];
  close(): Promise<void>;
}

export declare function startFakeUpstream(route: (request: IncomingMessage, response: ServerResponse, body: Buffer) => unknown): Promise<FakeUpstream>;
