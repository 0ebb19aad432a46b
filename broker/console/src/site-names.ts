// Site ids → names, for lists that carry only ids (campaigns, reports).
import { useMemo } from 'preact/hooks';
import type { Page, Site } from './types';
import { useApi } from './use-api';

export function useSiteNames(): (id: string) => string {
  const sites = useApi<Page<Site>>('/sites');
  return useMemo(() => {
    const names = new Map((sites.data?.items ?? []).map((s) => [s.id, s.name]));
    return (id: string) => names.get(id) ?? id;
  }, [sites.data]);
}
