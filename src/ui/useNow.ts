/** The current time as React state, refreshed every `ms` while `active` (for elapsed times and ETAs). */
import { useEffect, useState } from 'react';

export function useNow(ms: number, active: boolean): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!active) return;
    const timer = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(timer);
  }, [ms, active]);
  return now;
}
