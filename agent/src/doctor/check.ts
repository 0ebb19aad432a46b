// One line of `doorcast doctor`: what was checked, how it went, and the one-line fix.
export type CheckStatus = 'pass' | 'warn' | 'fail' | 'skip';

export interface CheckResult {
  id: string;
  title: string;
  status: CheckStatus;
  detail: string;
  /** What to do about a warn or fail, in one line an installer can act on at the gate. */
  fix?: string;
}

export const pass = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'pass', detail });
export const warn = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'warn', detail, fix });
export const fail = (id: string, title: string, detail: string, fix: string): CheckResult => ({ id, title, status: 'fail', detail, fix });
export const skip = (id: string, title: string, detail: string): CheckResult => ({ id, title, status: 'skip', detail });

const MARK: Record<CheckStatus, string> = { pass: '✔', warn: '!', fail: '✘', skip: '-' };

/** The terminal form: one line per check, the fix indented under it. */
export function formatResults(results: readonly CheckResult[]): string {
  const w = Math.max(...results.map((r) => r.title.length));
  const lines = results.flatMap((r) => [`${MARK[r.status]} ${r.title.padEnd(w)}  ${r.detail}`, ...(r.fix ? [`  ${' '.repeat(w)}  → ${r.fix}`] : [])]);
  const n = (s: CheckStatus) => results.filter((r) => r.status === s).length;
  lines.push('', `${n('pass')} passed, ${n('warn')} warnings, ${n('fail')} failed${n('skip') ? `, ${n('skip')} skipped` : ''}`);
  return `${lines.join('\n')}\n`;
}
