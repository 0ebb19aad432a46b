// Loads a GET route into component state; `reload()` fetches again, `every` polls.
import { useCallback, useEffect, useRef, useState } from 'preact/hooks';
import { ApiError, get } from './api';

export interface Loaded<T> {
  data: T | null;
  error: ApiError | null;
  loading: boolean;
  reload(): void;
}

export function useApi<T>(path: string | null, every?: number): Loaded<T> {
  const [data, setData] = useState<T | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [loading, setLoading] = useState(path !== null);
  const [tick, setTick] = useState(0);
  const live = useRef(true);
  useEffect(
    () => () => {
      live.current = false;
    },
    [],
  );
  useEffect(() => {
    if (path === null) return;
    let current = true;
    setLoading(true);
    get<T>(path).then(
      (d) => {
        if (!current || !live.current) return;
        setData(d);
        setError(null);
        setLoading(false);
      },
      (e: unknown) => {
        if (!current || !live.current) return;
        setError(e instanceof ApiError ? e : new ApiError(0, { error: 'network', message: String(e) }));
        setLoading(false);
      },
    );
    return () => {
      current = false;
    };
  }, [path, tick]);
  useEffect(() => {
    if (!every || path === null) return;
    const timer = setInterval(() => setTick((n) => n + 1), every);
    return () => clearInterval(timer);
  }, [every, path]);
  const reload = useCallback(() => setTick((n) => n + 1), []);
  return { data, error, loading, reload };
}
