/**
 * The panel's page: a strict Content-Security-Policy (nothing but our own script, by nonce, and
 * styles, fonts and images from the webview's resource origin, i.e. media/), the stylesheet and
 * the bundle from media/. Pure, so the webview tests load exactly this page.
 */
import { randomBytes } from 'node:crypto';

export interface PanelPage {
  /** `webview.cspSource` */
  readonly cspSource: string;
  readonly nonce: string;
  /** URIs of media/webview.js and media/webview.css as the webview may load them. */
  readonly scriptUri: string;
  readonly styleUri: string;
}

export function makeNonce(): string {
  return randomBytes(18).toString('base64').replace(/[+/=]/g, '');
}

/**
 * Nothing may load or connect but what is listed: scripts only by nonce; styles from media/ and,
 * by the same nonce, the one probe stylesheet the component library adds (it reads the nonce from
 * the csp-nonce meta tag); fonts and images from media/.
 */
export function contentSecurityPolicy(cspSource: string, nonce: string): string {
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource} 'nonce-${nonce}'`, `font-src ${cspSource}`, `img-src ${cspSource} data:`].join('; ');
}

const esc = (s: string): string => s.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function panelHtml(p: PanelPage): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${esc(contentSecurityPolicy(p.cspSource, p.nonce))}">
<meta property="csp-nonce" content="${esc(p.nonce)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${esc(p.styleUri)}">
<title>AutoDist</title>
</head>
<body>
<main id="app" aria-live="polite"><p class="empty">Loading…</p></main>
<script nonce="${esc(p.nonce)}" src="${esc(p.scriptUri)}"></script>
</body>
</html>
`;
}
