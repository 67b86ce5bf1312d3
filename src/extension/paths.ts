/** One spelling per file, so that report paths, editor URIs and webview messages compare equal. */
import * as path from 'node:path';

export function fileKey(file: string): string {
  const f = file.startsWith('file://') ? decodeURIComponent(new URL(file).pathname) : file;
  const r = path.resolve(f);
  return process.platform === 'win32' ? r.toLowerCase() : r;
}

/** Every file a report points at (the only files the panel may ask the host to open). */
export function reportFiles(r: {
  readonly script?: string;
  readonly shards: readonly { readonly source?: { readonly file: string } }[];
  readonly modules: readonly { readonly source?: { readonly file: string } }[];
  readonly collectives: readonly { readonly source?: { readonly file: string } }[];
  readonly timeline: { readonly events: readonly { readonly source?: { readonly file: string } }[] };
  readonly errors: readonly { readonly source?: { readonly file: string }; readonly ranks: readonly { readonly source?: { readonly file: string } }[] }[];
  readonly verification: { readonly firstDivergence?: { readonly source?: { readonly file: string }; readonly builtAt?: { readonly file: string } }; readonly outputs: readonly { readonly source?: { readonly file: string } }[]; readonly grads: readonly { readonly source?: { readonly file: string } }[] };
}): Set<string> {
  const out = new Set<string>();
  const add = (s: { readonly file: string } | undefined) => s && out.add(fileKey(s.file));
  if (r.script) out.add(fileKey(r.script));
  for (const xs of [r.shards, r.modules, r.collectives, r.timeline.events, r.verification.outputs, r.verification.grads]) for (const x of xs) add(x.source);
  for (const e of r.errors) {
    add(e.source);
    for (const s of e.ranks) add(s.source);
  }
  add(r.verification.firstDivergence?.source);
  add(r.verification.firstDivergence?.builtAt);
  return out;
}
