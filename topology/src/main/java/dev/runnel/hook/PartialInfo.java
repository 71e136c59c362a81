package dev.runnel.hook;

import java.time.Duration;

/**
 * One partial result of a run.
 *
 * @param index 0 for the run's first partial result, then 1, 2, ...
 * @param length its length in UTF-16 code units
 * @param sinceStart the time from the attempt's start to this partial result
 * @param firstAfter the time from the attempt's start to its first partial result (equal to {@code
 *     sinceStart} for the first)
 */
public record PartialInfo(int index, int length, Duration sinceStart, Duration firstAfter) {}
