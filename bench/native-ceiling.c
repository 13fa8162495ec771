/*
 * native-ceiling: the fastest Vectorscan can stream a file through a rule set on this machine,
 * with no Node.js in the way. `npm run bench` reports the vectorscan engine as a fraction of it.
 *
 * Build (Debian: apt-get install libvectorscan-dev):
 *
 *     cc -O2 -o native-ceiling bench/native-ceiling.c -lhs
 *
 * Usage:
 *
 *     native-ceiling PATTERNS INPUT [--som] [--repeat N] [--runtime NAME]
 *
 *   PATTERNS  a file of Vectorscan expressions, one per line (blank lines skipped), compiled
 *             together in streaming mode without flags: print them from the rules with
 *             src/engine/vectorscan/pattern.ts (bench/native-ceiling.mjs does) so that the
 *             ceiling scans the same automaton the engine does.
 *   INPUT     the file to scan, read in 256 KiB chunks (the size a pipe source hands over at best)
 *             into one stream; `-` reads standard input.
 *   --som     compile with HS_FLAG_SOM_LEFTMOST and a small SOM horizon, patterns that refuse it
 *             without (as the engine's `som` treatment does).
 *   --repeat N  scan the file N times (each pass a new stream) and report the best pass; a file
 *             in the page cache then measures the scan, not the disk.
 *
 * Output: one line of key=value pairs on stdout, e.g.
 *
 *     bytes=1073741824 seconds=0.912 cpu_seconds=0.905 mb_per_s=1177.3 matches=52310 patterns=22 som=20
 *
 * Runtime: `--runtime NAME` streams through the library's copy NAME (avx512, avx2, corei7, core2:
 * NAME_hs_*) and compiles for it, as the addon does (native/src/addon.cc, "Runtimes"); the drivers
 * pass the copy the engine chose, so that the ceiling scans as the engine does. Without it, the
 * library dispatches by CPU.
 *
 * MB/s is 10^6 bytes per second of the best pass, counting the read()s (as a pipe filter pays
 * them); cpu_seconds is the CPU time of the pass with the fewest (user + system), the steadier
 * base on a shared machine. The match callback only counts; the engine's callback merges into spans, which costs a
 * little more per match. Exit status: 0, or 2 on bad usage or input, 3 on a Vectorscan error.
 */
#define _GNU_SOURCE
#include <hs/hs.h>

#include <dlfcn.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define CHUNK (256 * 1024)

static unsigned long long match_count;

static int on_match(unsigned int id, unsigned long long from, unsigned long long to, unsigned int flags, void *context) {
  (void)id, (void)from, (void)to, (void)flags, (void)context;
  match_count++;
  return 0;
}

static double clock_seconds(clockid_t clock) {
  struct timespec ts;
  clock_gettime(clock, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double now(void) { return clock_seconds(CLOCK_MONOTONIC); }

/* CPU seconds of this process (user + system): steadier than wall time on a shared machine. */
static double cpu_now(void) { return clock_seconds(CLOCK_PROCESS_CPUTIME_ID); }

static void fail(int status, const char *what, const char *detail) {
  fprintf(stderr, "native-ceiling: %s%s%s\n", what, detail ? ": " : "", detail ? detail : "");
  exit(status);
}

/* Reads PATTERNS into a NULL-terminated array of lines. */
static char **read_patterns(const char *path, unsigned int *count) {
  FILE *file = fopen(path, "r");
  if (!file) fail(2, path, strerror(errno));
  size_t capacity = 64;
  char **lines = malloc(capacity * sizeof *lines);
  char *line = NULL;
  size_t size = 0;
  ssize_t length;
  *count = 0;
  while ((length = getline(&line, &size, file)) >= 0) {
    while (length > 0 && (line[length - 1] == '\n' || line[length - 1] == '\r')) line[--length] = '\0';
    if (length == 0) continue;
    if (*count + 1 >= capacity) lines = realloc(lines, (capacity *= 2) * sizeof *lines);
    lines[(*count)++] = strdup(line);
  }
  free(line);
  fclose(file);
  if (*count == 0) fail(2, path, "no patterns");
  lines[*count] = NULL;
  return lines;
}

/* The stream calls and the platform to compile for (see "Runtime" above). */
static struct {
  hs_error_t (*open_stream)(const hs_database_t *, unsigned int, hs_stream_t **);
  hs_error_t (*scan_stream)(hs_stream_t *, const char *, unsigned int, unsigned int, hs_scratch_t *, match_event_handler, void *);
  hs_error_t (*close_stream)(hs_stream_t *, hs_scratch_t *, match_event_handler, void *);
  hs_platform_info_t platform;
} runtime = {hs_open_stream, hs_scan_stream, hs_close_stream, {0}};

static void choose_runtime(const char *name) {
  if (hs_populate_platform(&runtime.platform) != HS_SUCCESS) fail(3, "hs_populate_platform", NULL);
  if (!name) return;
  char symbol[64];
  void *calls[3];
  const char *suffixes[3] = {"open_stream", "scan_stream", "close_stream"};
  for (int i = 0; i < 3; i++) {
    snprintf(symbol, sizeof symbol, "%s_hs_%s", name, suffixes[i]);
    calls[i] = dlsym(RTLD_DEFAULT, symbol);
    if (!calls[i]) fail(2, "--runtime: the library has no such copy", symbol);
  }
  *(void **)&runtime.open_stream = calls[0];
  *(void **)&runtime.scan_stream = calls[1];
  *(void **)&runtime.close_stream = calls[2];
  if (strcmp(name, "avx512") != 0) runtime.platform.cpu_features &= ~(unsigned long long)(HS_CPU_FEATURES_AVX512 | HS_CPU_FEATURES_AVX512VBMI);
  if (strcmp(name, "avx512") != 0 && strcmp(name, "avx2") != 0) runtime.platform.cpu_features = 0;
}

/* Compiles the set; with som, each pattern that refuses HS_FLAG_SOM_LEFTMOST alone goes without. */
static hs_database_t *compile(char **patterns, unsigned int count, int som, unsigned int *som_count) {
  unsigned int *flags = calloc(count, sizeof *flags);
  unsigned int *ids = calloc(count, sizeof *ids);
  unsigned int mode = HS_MODE_STREAM | (som ? HS_MODE_SOM_HORIZON_SMALL : 0);
  *som_count = 0;
  for (unsigned int i = 0; i < count; i++) {
    ids[i] = i;
    if (!som) continue;
    hs_database_t *one = NULL;
    hs_compile_error_t *error = NULL;
    if (hs_compile(patterns[i], HS_FLAG_SOM_LEFTMOST, mode, &runtime.platform, &one, &error) == HS_SUCCESS) {
      flags[i] = HS_FLAG_SOM_LEFTMOST;
      (*som_count)++;
      hs_free_database(one);
    } else {
      hs_free_compile_error(error);
    }
  }
  hs_database_t *db = NULL;
  hs_compile_error_t *error = NULL;
  if (hs_compile_multi((const char *const *)patterns, flags, ids, count, mode, &runtime.platform, &db, &error) != HS_SUCCESS) {
    char where[64];
    snprintf(where, sizeof where, "pattern %d", error ? error->expression + 1 : 0);
    fprintf(stderr, "native-ceiling: %s: %s\n", where, error ? error->message : "compile failed");
    exit(3);
  }
  free(flags);
  free(ids);
  return db;
}

/* One pass over the input as one stream; returns the bytes scanned. */
static unsigned long long scan_pass(int fd, hs_database_t *db, hs_scratch_t *scratch, char *buffer) {
  hs_stream_t *stream = NULL;
  if (runtime.open_stream(db, 0, &stream) != HS_SUCCESS) fail(3, "hs_open_stream", NULL);
  unsigned long long total = 0;
  for (;;) {
    ssize_t got = read(fd, buffer, CHUNK);
    if (got < 0) {
      if (errno == EINTR) continue;
      fail(2, "read", strerror(errno));
    }
    if (got == 0) break;
    total += (unsigned long long)got;
    if (runtime.scan_stream(stream, buffer, (unsigned int)got, 0, scratch, on_match, NULL) != HS_SUCCESS) {
      fail(3, "hs_scan_stream", NULL);
    }
  }
  if (runtime.close_stream(stream, scratch, on_match, NULL) != HS_SUCCESS) fail(3, "hs_close_stream", NULL);
  return total;
}

int main(int argc, char **argv) {
  const char *patterns_path = NULL, *input_path = NULL;
  int som = 0;
  long repeat = 1;
  const char *runtime_name = NULL;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--som") == 0) som = 1;
    else if (strcmp(argv[i], "--repeat") == 0 && i + 1 < argc) repeat = strtol(argv[++i], NULL, 10);
    else if (strcmp(argv[i], "--runtime") == 0 && i + 1 < argc) runtime_name = argv[++i];
    else if (!patterns_path) patterns_path = argv[i];
    else if (!input_path) input_path = argv[i];
    else fail(2, "usage", "native-ceiling PATTERNS INPUT [--som] [--repeat N] [--runtime NAME]");
  }
  if (!patterns_path || !input_path || repeat < 1) fail(2, "usage", "native-ceiling PATTERNS INPUT [--som] [--repeat N] [--runtime NAME]");
  int from_stdin = strcmp(input_path, "-") == 0;
  if (from_stdin && repeat > 1) fail(2, "usage", "--repeat needs a file, not standard input");

  unsigned int count = 0, som_count = 0;
  choose_runtime(runtime_name);
  char **patterns = read_patterns(patterns_path, &count);
  hs_database_t *db = compile(patterns, count, som, &som_count);
  hs_scratch_t *scratch = NULL;
  if (hs_alloc_scratch(db, &scratch) != HS_SUCCESS) fail(3, "hs_alloc_scratch", NULL);
  char *buffer = malloc(CHUNK);

  double best = -1, best_cpu = -1;
  unsigned long long bytes = 0, matches = 0;
  for (long pass = 0; pass < repeat; pass++) {
    int fd = from_stdin ? 0 : open(input_path, O_RDONLY);
    if (fd < 0) fail(2, input_path, strerror(errno));
    match_count = 0;
    double start = now(), cpu_start = cpu_now();
    bytes = scan_pass(fd, db, scratch, buffer);
    double seconds = now() - start, cpu_seconds = cpu_now() - cpu_start;
    if (!from_stdin) close(fd);
    if (best < 0 || seconds < best) best = seconds;
    if (best_cpu < 0 || cpu_seconds < best_cpu) best_cpu = cpu_seconds;
    matches = match_count;
  }
  printf("bytes=%llu seconds=%.3f cpu_seconds=%.3f mb_per_s=%.1f matches=%llu patterns=%u som=%u\n", bytes, best,
         best_cpu, best > 0 ? (double)bytes / best / 1e6 : 0.0, matches, count, som_count);

  free(buffer);
  hs_free_scratch(scratch);
  hs_free_database(db);
  for (unsigned int i = 0; i < count; i++) free(patterns[i]);
  free(patterns);
  return 0;
}
