/**
 * The tiny test runner of the e2e scripts: named async tests with a time limit, plain assertions, and the closing
 * line "N passed, M failed" that e2e/run.mjs adds up.
 */
export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout;
  return Promise.race([p, new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: timed out after ${ms} ms`)), ms)))]).finally(() =>
    clearTimeout(timer),
  );
}

export function assert(cond: unknown, message: string): asserts cond {
  if (!cond) throw new Error(message);
}

/** Equality of JSON forms, with both shown on failure. */
export function eq<T>(actual: T, expected: T, what: string): void {
  const a = JSON.stringify(actual);
  const e = JSON.stringify(expected);
  if (a !== e) throw new Error(`${what}: expected ${e}, got ${a}`);
}

export class Suite {
  passed = 0;
  failed = 0;

  /** Runs one test; a failure is printed with the first lines of its stack and counted, never thrown. */
  async test(name: string, fn: () => Promise<void>, ms = 180_000): Promise<void> {
    const t0 = Date.now();
    try {
      await withTimeout(fn(), ms, name);
      this.passed++;
      console.log(`ok   ${name} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
    } catch (err) {
      this.failed++;
      console.log(`FAIL ${name}\n     ${err instanceof Error ? (err.stack ?? err.message).split('\n').slice(0, 8).join('\n     ') : String(err)}`);
    }
  }

  /** Runs the script's main, counts a setup failure, prints the closing line and exits with 0 only if all passed. */
  run(main: () => Promise<void>): void {
    main()
      .catch((err: unknown) => {
        this.failed++;
        console.log(`FAIL setup: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
      })
      .finally(() => {
        console.log(`${this.passed} passed, ${this.failed} failed`);
        process.exit(this.failed === 0 ? 0 : 1);
      });
  }
}
