/**
 * What a simulator keeps of each request it received, and the options every simulator shares:
 * a port (0: a free one from the OS), an optional delay before answering (to play a slow
 * ministry) and a record of every request with its idempotency key, in memory and, when
 * `recordFile` is set, appended to a JSON-lines file (so a test can read it even when the
 * simulator ran in another process).
 */
import { appendFileSync } from 'node:fs';
import type { Server } from 'node:http';

export interface SimulatorOptions {
  port: number;
  host?: string;
  /** Milliseconds to wait before answering every request. */
  delayMs?: number;
  /** Append each request as a JSON line to this file. */
  recordFile?: string;
}

export interface SimRequest {
  simulator: string;
  at: string;
  method: string;
  path: string;
  /** X-Road `id` header (SOAP) or `Idempotency-Key` (REST). */
  idempotencyKey?: string;
  /** X-Road `issue` header or `X-Wasl-Order-Id`: the order the call is for. */
  orderId?: string;
  /** The operation's input as the simulator read it. */
  input: Record<string, unknown>;
  /** What it answered: a business code, or `ok`. */
  outcome: string;
  /** The reference the answer carried (extract or statement number), when it issued one. */
  reference?: string;
  /** A repeat of an idempotency key already answered: the stored answer was sent again. */
  repeated: boolean;
  /** The contract operation the request matched (simulators generated from contracts). */
  operation?: string;
  /** HTTP status answered; 0 when none was (a held or cut request). */
  status?: number;
  /** The answer as sent, decoded (generated simulators). */
  response?: unknown;
  /** Where the request broke the contract, or the answer would have (`answer: …`). */
  violations?: string[];
  /**
   * Generated simulators: whether the answer was replayed from an exchange recorded from the
   * provider's real system (`recorded`, with the recording's label) or generated from the
   * contract and the declared error rules (`generated`).
   */
  behaviour?: 'recorded' | 'generated';
  /** The recording replayed (`<operation>/<label>`). */
  recording?: string;
}

export class Recorder {
  readonly requests: SimRequest[] = [];
  constructor(private readonly file?: string) {}
  add(r: SimRequest): void {
    this.requests.push(r);
    if (this.file) appendFileSync(this.file, `${JSON.stringify(r)}\n`);
  }
}

export interface RunningSimulator {
  name: string;
  url: string;
  requests: SimRequest[];
  /** Changes the delay while running. */
  setDelay(ms: number): void;
  close(): Promise<void>;
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const a = server.address();
      resolve(typeof a === 'object' && a ? a.port : port);
    });
  });
}

export function closeServer(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections?.();
  });
}
