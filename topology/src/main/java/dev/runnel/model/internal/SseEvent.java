package dev.runnel.model.internal;

/**
 * One dispatched server-sent event.
 *
 * @param type the {@code event:} field, or {@code "message"} when the event had none
 * @param data the {@code data:} lines joined by {@code \n}
 * @param lastEventId the last {@code id:} seen on the stream so far, or empty
 */
public record SseEvent(String type, String data, String lastEventId) {}
