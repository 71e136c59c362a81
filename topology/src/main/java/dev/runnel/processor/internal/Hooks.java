package dev.runnel.processor.internal;

import dev.runnel.hook.PartialInfo;
import dev.runnel.hook.RequestEvent;
import dev.runnel.hook.RunHook;
import dev.runnel.hook.RunInfo;
import dev.runnel.hook.RunOutcome;
import dev.runnel.hook.StateApplied;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every hook of an instance as one: each is called in turn, and one that throws is logged (the
 * first time with its stack trace, then once a minute at most) and skipped, so it never breaks a
 * run.
 */
public final class Hooks implements RunHook {
  private static final Logger log = LoggerFactory.getLogger(Hooks.class);
  private static final long LOG_INTERVAL_NANOS = 60_000_000_000L;

  private final List<RunHook> hooks;
  private final Map<RunHook, Long> lastLogged = new ConcurrentHashMap<>();

  public Hooks(List<RunHook> hooks) {
    this.hooks = List.copyOf(hooks);
  }

  private void each(String method, Consumer<RunHook> call) {
    for (RunHook hook : hooks) {
      try {
        call.accept(hook);
      } catch (RuntimeException e) {
        long now = System.nanoTime();
        Long last = lastLogged.putIfAbsent(hook, now);
        if (last == null) {
          log.warn("Hook {} threw in {}; ignored", hook.getClass().getName(), method, e);
        } else if (now - last > LOG_INTERVAL_NANOS) {
          lastLogged.put(hook, now);
          log.warn(
              "Hook {} threw in {}; ignored: {}", hook.getClass().getName(), method, e.toString());
        }
      }
    }
  }

  @Override
  public void beforeRun(RunInfo run) {
    each("beforeRun", h -> h.beforeRun(run));
  }

  @Override
  public void onPartial(RunInfo run, PartialInfo partial) {
    each("onPartial", h -> h.onPartial(run, partial));
  }

  @Override
  public void afterRun(RunInfo run, RunOutcome outcome) {
    each("afterRun", h -> h.afterRun(run, outcome));
  }

  @Override
  public void onStateApplied(StateApplied applied) {
    each("onStateApplied", h -> h.onStateApplied(applied));
  }

  @Override
  public void onRequest(RequestEvent event) {
    each("onRequest", h -> h.onRequest(event));
  }
}
