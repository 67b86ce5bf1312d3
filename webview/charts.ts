/** Bar charts (chart.js, only the parts we use), colored from the VS Code theme. */
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { fmtBytes } from './format.js';
import { withAlpha, type Palette } from './theme.js';
import { maxOf } from '../src/report/format.js';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Legend, Tooltip);

export interface BarSeries {
  readonly label: string;
  readonly data: readonly number[];
  readonly color: string;
}

/** The binary unit that makes `max` a number between 1 and 1024: [bytes per unit, name]. */
export function byteUnit(max: number): [number, string] {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let u = 0;
  while (max >= 1024 ** (u + 1) && u < units.length - 1) u++;
  return [1024 ** u, units[u]];
}

/**
 * A bar chart of byte counts, the axis in one binary unit (so its ticks are round numbers of
 * MiB, not of bytes); returns the chart (destroy it before dropping the canvas).
 */
export function bytesBarChart(canvas: HTMLCanvasElement, title: string, labels: readonly string[], series: readonly BarSeries[], p: Palette): Chart<'bar'> {
  const [per, unit] = byteUnit(maxOf(series.flatMap((s) => s.data), 0));
  return new Chart(canvas, {
    type: 'bar',
    data: {
      labels: [...labels],
      datasets: series.map((s) => ({ label: s.label, data: s.data.map((v) => v / per), backgroundColor: withAlpha(s.color, p.highContrast ? 1 : 0.75), borderColor: s.color, borderWidth: 1 })),
    },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      color: p.fg,
      plugins: {
        title: { display: false, text: title },
        legend: { display: series.length > 1, labels: { color: p.fg, boxWidth: 12 } },
        tooltip: { callbacks: { label: (ctx) => { const b = series[ctx.datasetIndex].data[ctx.dataIndex]; return `${ctx.dataset.label}: ${fmtBytes(b)} (${Math.round(b).toLocaleString('en-US')} B)`; } } },
      },
      scales: {
        x: { ticks: { color: p.fg }, grid: { color: p.grid } },
        y: { beginAtZero: true, grace: '5%', title: { display: true, text: unit, color: p.muted }, ticks: { color: p.fg }, grid: { color: p.grid } },
      },
    },
  });
}
