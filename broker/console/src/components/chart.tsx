// A bar chart on Chart.js, tree-shaken to the bar parts. Gaps (null) are suppressed cells.
import { BarController, BarElement, CategoryScale, Chart, Legend, LinearScale, Tooltip } from 'chart.js';
import { useEffect, useRef } from 'preact/hooks';

Chart.register(BarController, BarElement, CategoryScale, LinearScale, Tooltip, Legend);

export interface Series {
  label: string;
  data: (number | null)[];
  color: string;
}

export interface BarChartProps {
  id: string;
  title: string;
  labels: string[];
  series: Series[];
  horizontal?: boolean;
  tableLabel?: string;
  /** The table beside the chart: the same numbers, readable without the canvas. */
  children?: preact.ComponentChildren;
}

export function BarChart({ id, title, labels, series, horizontal = false, tableLabel, children }: BarChartProps) {
  const canvas = useRef<HTMLCanvasElement>(null);
  const chart = useRef<Chart<'bar', (number | null)[], string> | null>(null);

  useEffect(() => {
    if (!canvas.current) return;
    chart.current = new Chart(canvas.current, {
      type: 'bar',
      data: { labels: [], datasets: [] },
      options: {
        indexAxis: horizontal ? 'y' : 'x',
        responsive: true,
        maintainAspectRatio: false,
        // Reports refresh while the merchant watches: no animation to re-run each time.
        animation: false,
        plugins: { legend: { display: series.length > 1, position: 'bottom' } },
        scales: { [horizontal ? 'x' : 'y']: { beginAtZero: true, ticks: { precision: 0 } } },
      },
    });
    return () => {
      chart.current?.destroy();
      chart.current = null;
    };
  }, [horizontal]);

  useEffect(() => {
    const c = chart.current;
    if (!c) return;
    c.data.labels = labels;
    c.data.datasets = series.map((s) => ({ label: s.label, data: s.data, backgroundColor: s.color, borderRadius: 3, maxBarThickness: 48 }));
    c.update();
  }, [labels, series]);

  const total = series.map((s) => s.data.reduce<number>((n, v) => n + (v ?? 0), 0));
  return (
    <figure class="chart" data-chart={id} data-totals={total.join(',')}>
      <figcaption>{title}</figcaption>
      <div class="chart-box">
        <canvas ref={canvas} role="img" aria-label={title} />
      </div>
      {children && (
        <details class="chart-table" open>
          <summary>{tableLabel ?? title}</summary>
          {children}
        </details>
      )}
    </figure>
  );
}
