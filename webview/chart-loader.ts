/**
 * chart.js is half of the panel's script, and only the Traffic tab draws charts: it ships as its
 * own bundle (media/charts.js, built from charts.ts, global `AutoDistCharts`) and is loaded the
 * first time a chart is drawn — after the panel's first paint. The script tag carries the page's
 * nonce (the CSP admits scripts by nonce only) and sits next to media/webview.js.
 */
import type * as ChartsModule from './charts.js';

export type Charts = typeof ChartsModule;

// where this script came from, read while it runs (currentScript is null later)
const ownSrc = (document.currentScript as HTMLScriptElement | null)?.src ?? '';

let loading: Promise<Charts> | null = null;

/** The URL of media/charts.js beside the running media/webview.js. */
export function chartsUrl(webviewSrc: string): string {
  return webviewSrc.replace(/webview\.js(?=$|[?#])/, 'charts.js');
}

export function loadCharts(): Promise<Charts> {
  loading ??= new Promise<Charts>((resolve, reject) => {
    const g = globalThis as { AutoDistCharts?: Charts };
    if (g.AutoDistCharts) return resolve(g.AutoDistCharts);
    const s = document.createElement('script');
    s.nonce = document.querySelector('meta[property="csp-nonce"]')?.getAttribute('content') ?? '';
    s.src = chartsUrl(ownSrc);
    s.onload = () => (g.AutoDistCharts ? resolve(g.AutoDistCharts) : reject(new Error(`${s.src} did not define the charts`)));
    s.onerror = () => reject(new Error(`could not load ${s.src}`));
    document.head.append(s);
  }).catch((e: unknown) => {
    loading = null; // a later draw tries again
    throw e;
  });
  return loading;
}
