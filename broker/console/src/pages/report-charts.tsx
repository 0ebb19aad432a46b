// The report's charts, each with the same numbers as a table (readable without the canvas,
// and what tests read): plays and completed by day and by daypart, frequency, the funnel.
import { useMemo } from 'preact/hooks';
import { BarChart, type Series } from '../components/chart';
import { Cell } from '../components/ui';
import { isKey, type Key, useI18n } from '../i18n';
import type { Report, ReportRow } from '../types';

const PLAYS = '#2457a6';
const DONE = '#1f9d55';

export function ReportCharts({ report: r }: { report: Report }) {
  const { t } = useI18n();
  const label = (k: string) => {
    const key = `daypart.${k}`;
    return isKey(key) ? t(key) : k;
  };
  const byDay = useMemo(() => rows(r.byDay, (k) => k, t), [r.byDay, t]);
  const byDaypart = useMemo(() => rows(r.byDaypart, label, t), [r.byDaypart, t]);
  const freq = useMemo(() => ({ labels: r.frequency.map((f) => t('report.times', { n: f.bucket })), series: [{ label: t('report.residents'), data: r.frequency.map((f) => f.residents), color: PLAYS }] }), [r.frequency, t]);
  const funnel = useMemo(() => ({ labels: r.funnel.map((f) => t(`report.stage.${f.stage}` as Key)), series: [{ label: t('report.count'), data: r.funnel.map((f) => f.count), color: PLAYS }] }), [r.funnel, t]);
  const min = r.minCohort;

  return (
    <div class="charts">
      <BarChart id="byDay" title={t('report.byDay')} tableLabel={t('common.table')} labels={byDay.labels} series={byDay.series}>
        <RowTable id="byDay" head={t('common.date')} rows={r.byDay} keyLabel={(k) => k} min={min} />
      </BarChart>
      <BarChart id="byDaypart" title={t('report.byDaypart')} tableLabel={t('common.table')} labels={byDaypart.labels} series={byDaypart.series}>
        <RowTable id="byDaypart" head={t('common.daypart')} rows={r.byDaypart} keyLabel={label} min={min} />
      </BarChart>
      <BarChart id="frequency" title={t('report.frequency')} tableLabel={t('common.table')} labels={freq.labels} series={freq.series}>
        <table class="data" data-table="frequency">
          <thead>
            <tr>
              <th>{t('report.timesSeen')}</th>
              <th>{t('report.residents')}</th>
            </tr>
          </thead>
          <tbody>
            {r.frequency.map((f) => (
              <tr key={f.bucket} data-key={f.bucket}>
                <td>{t('report.times', { n: f.bucket })}</td>
                <td data-col="residents">
                  <Cell value={f.residents} suppressed={f.suppressed ?? f.residents === null} min={min} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </BarChart>
      <BarChart id="funnel" title={t('report.funnel')} tableLabel={t('common.table')} labels={funnel.labels} series={funnel.series} horizontal>
        <table class="data" data-table="funnel">
          <tbody>
            {r.funnel.map((f) => (
              <tr key={f.stage} data-key={f.stage}>
                <th scope="row">{t(`report.stage.${f.stage}` as Key)}</th>
                <td data-col="count">
                  <Cell value={f.count} suppressed={f.count === null} min={min} />
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </BarChart>
    </div>
  );
}

function rows(list: ReportRow[], keyLabel: (k: string) => string, t: (k: Key) => string): { labels: string[]; series: Series[] } {
  return {
    labels: list.map((x) => keyLabel(x.key)),
    series: [
      { label: t('report.plays'), data: list.map((x) => x.plays), color: PLAYS },
      { label: t('report.completed'), data: list.map((x) => x.completed), color: DONE },
    ],
  };
}

function RowTable({ id, head, rows, keyLabel, min }: { id: string; head: string; rows: ReportRow[]; keyLabel(k: string): string; min: number }) {
  const { t } = useI18n();
  if (rows.length === 0) return <p class="muted">{t('report.noRows')}</p>;
  return (
    <table class="data" data-table={id}>
      <thead>
        <tr>
          <th>{head}</th>
          <th>{t('report.plays')}</th>
          <th>{t('report.completed')}</th>
          <th>{t('report.residents')}</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((x) => (
          <tr key={x.key} data-key={x.key} data-suppressed={String(x.suppressed)}>
            <td>{keyLabel(x.key)}</td>
            <td data-col="plays">
              <Cell value={x.plays} suppressed={x.suppressed} min={min} />
            </td>
            <td data-col="completed">
              <Cell value={x.completed} suppressed={x.suppressed} min={min} />
            </td>
            <td data-col="residents">
              <Cell value={x.residents} suppressed={x.suppressed} min={min} />
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
