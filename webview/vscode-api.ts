/** The webview's side of the host: typed postMessage and the saved state. */
import type { WebviewMessage } from '../src/protocol.js';

interface VsCodeApi<S> {
  postMessage(msg: unknown): void;
  getState(): S | undefined;
  setState(state: S): void;
}

declare function acquireVsCodeApi<S>(): VsCodeApi<S>;

export interface Host<S> {
  post(msg: WebviewMessage): void;
  load(): S | undefined;
  save(state: S): void;
}

export function connectHost<S>(): Host<S> {
  const api = acquireVsCodeApi<S>();
  return {
    post: (msg) => api.postMessage(msg),
    load: () => api.getState(),
    save: (s) => api.setState(s),
  };
}
