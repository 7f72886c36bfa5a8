/** A background task run every `intervalMs`, one round at a time. */
export interface IntervalRunner {
  /** No new round starts; resolves once the round in progress (if any) has finished. */
  stop(): Promise<void>;
}

/**
 * Runs `round` every `intervalMs` (and at once when `immediately`), never two rounds at a time: a round still running
 * when the next tick comes makes that tick pass. A round's failure is handed to `onError` and the next tick tries
 * again. The timer does not keep the process alive. Serves the sweeper, the card poller and the billing relay.
 */
export function runEvery(intervalMs: number, round: () => Promise<unknown>, onError: (error: unknown) => void, options: { immediately?: boolean } = {}): IntervalRunner {
  let busy: Promise<unknown> | undefined;
  let stopped = false;
  const tick = () => {
    if (stopped || busy) return;
    busy = round()
      .catch(onError)
      .finally(() => {
        busy = undefined;
      });
  };
  const timer = setInterval(tick, intervalMs);
  timer.unref();
  if (options.immediately) tick();
  return {
    stop: async () => {
      stopped = true;
      clearInterval(timer);
      await busy;
    },
  };
}
