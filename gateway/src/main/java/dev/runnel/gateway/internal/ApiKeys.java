package dev.runnel.gateway.internal;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The API keys a gateway accepts, each naming its tenant. Only SHA-256 hashes of the keys are held
 * (in the file, the configuration and memory); a presented key is hashed and compared with every
 * hash in constant time, so neither the time taken nor a log line tells anything about a key.
 *
 * <p>The keys file is re-read every second and swapped in when its content changed, so keys are
 * added and revoked without a restart. A file that fails to parse keeps the previous keys and logs
 * the line number at fault (never the line: it may hold a key pasted by mistake).
 */
public final class ApiKeys implements AutoCloseable {
  private static final Logger log = LoggerFactory.getLogger(ApiKeys.class);
  private static final Pattern TENANT = Pattern.compile("[A-Za-z0-9._-]{1,64}");
  private static final Pattern HASH = Pattern.compile("[0-9a-fA-F]{64}");

  /** One accepted key: its hash and its tenant. */
  private record Entry(byte[] hash, String tenant) {}

  private final Optional<Path> file;
  private final List<Entry> fixed;
  private volatile List<Entry> fromFile = List.of();
  private volatile byte[] fileContent = new byte[0];
  private final ScheduledExecutorService watcher;

  /**
   * Keys from {@code file} (if present, re-read on change) and {@code items} ({@code
   * <tenant>:<sha256 hex>}).
   *
   * @throws IllegalArgumentException naming the bad item or file line
   */
  public ApiKeys(Optional<Path> file, List<String> items) {
    this.file = file;
    List<Entry> entries = new ArrayList<>();
    for (int i = 0; i < items.size(); i++) {
      String item = items.get(i).trim();
      int colon = item.indexOf(':');
      if (colon < 0) {
        throw new IllegalArgumentException(
            "runnel.gateway.keys item " + (i + 1) + " is not of the form <tenant>:<sha256 hex>");
      }
      entries.add(entry(item.substring(0, colon), item.substring(colon + 1), "item " + (i + 1)));
    }
    this.fixed = List.copyOf(entries);
    if (file.isPresent()) {
      reload(true);
      watcher =
          Executors.newSingleThreadScheduledExecutor(
              r -> {
                Thread t = new Thread(r, "runnel-gateway-keys");
                t.setDaemon(true);
                return t;
              });
      watcher.scheduleWithFixedDelay(() -> reload(false), 1, 1, TimeUnit.SECONDS);
    } else {
      watcher = null;
    }
  }

  /** How many keys are accepted now. */
  public int size() {
    return fixed.size() + fromFile.size();
  }

  /** SHA-256 of {@code key}, in hex: what the keys file holds for it. */
  public static String hash(String key) {
    return HexFormat.of().formatHex(sha256(key.getBytes(StandardCharsets.UTF_8)));
  }

  /** The tenant of {@code presented}, if it is an accepted key. */
  Optional<String> tenantOf(String presented) {
    byte[] hash = sha256(presented.getBytes(StandardCharsets.UTF_8));
    String found = null;
    for (List<Entry> entries : List.of(fixed, fromFile)) {
      for (Entry e : entries) {
        // Every entry is compared, in constant time: no early exit tells how far a guess got.
        if (MessageDigest.isEqual(e.hash(), hash) && found == null) {
          found = e.tenant();
        }
      }
    }
    return Optional.ofNullable(found);
  }

  private void reload(boolean first) {
    Path path = file.orElseThrow();
    byte[] content;
    try {
      content = Files.readAllBytes(path);
    } catch (NoSuchFileException e) {
      if (first) {
        throw new IllegalArgumentException("the keys file " + path + " does not exist", e);
      }
      log.warn("The keys file {} is gone; keeping the keys read before", path);
      return;
    } catch (IOException e) {
      if (first) {
        throw new IllegalArgumentException("cannot read the keys file " + path, e);
      }
      log.warn("Cannot read the keys file {}; keeping the keys read before", path, e);
      return;
    }
    if (Arrays.equals(content, fileContent)) {
      return;
    }
    try {
      fromFile = parse(new String(content, StandardCharsets.UTF_8), path);
      fileContent = content;
      if (!first) {
        log.info("Keys file {} changed: {} keys now", path, size());
      }
    } catch (IllegalArgumentException e) {
      if (first) {
        throw e;
      }
      log.warn("{}; keeping the keys read before", e.getMessage());
      fileContent = content;
    }
  }

  private static List<Entry> parse(String text, Path path) {
    List<Entry> entries = new ArrayList<>();
    String[] lines = text.split("\r?\n", -1);
    for (int i = 0; i < lines.length; i++) {
      String line = lines[i].strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] parts = line.split("\\s+");
      if (parts.length != 2) {
        throw new IllegalArgumentException(
            "the keys file " + path + ", line " + (i + 1) + ", is not '<tenant> <sha256 hex>'");
      }
      entries.add(entry(parts[0], parts[1], "the keys file " + path + ", line " + (i + 1)));
    }
    return List.copyOf(entries);
  }

  private static Entry entry(String tenant, String hash, String where) {
    if (!TENANT.matcher(tenant).matches()) {
      throw new IllegalArgumentException(
          where + ": the tenant must be 1 to 64 characters of A-Z a-z 0-9 . _ -");
    }
    if (!HASH.matcher(hash).matches()) {
      // The value is not shown: a key pasted in place of its hash must not reach the log.
      throw new IllegalArgumentException(
          where + ": the key must be given as its SHA-256, 64 hex digits");
    }
    return new Entry(HexFormat.of().parseHex(hash.toLowerCase(java.util.Locale.ROOT)), tenant);
  }

  private static byte[] sha256(byte[] bytes) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(bytes);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  @Override
  public void close() {
    if (watcher != null) {
      watcher.shutdownNow();
    }
  }
}
