// sseredact-vectorscan: a Node-API binding of Vectorscan's streaming runtime, shaped for sseredact.
//
// What crosses into JavaScript is kept small on purpose. Vectorscan reports every possible end of
// every match (a `[a-z]+` run of 1000 letters is 1000 reports); calling into JS per report costs far
// more than the scan itself. So the match callback stays in C++, merges the raw reports of each
// pattern into spans (overlapping or touching reports -> one (id, minStart, maxEnd)), and a scan
// call returns only the number of spans, which it has written into a Float64Array the stream owns
// (triples: id, start, end; doubles hold offsets exactly up to 2^53).
//
// A report joins the open span of its pattern when their starts overlap or touch, no newline lies
// between the span's end and the report's, and the span stays at most twice the pattern's
// maxWidth wide; otherwise it starts a new span. Every real match inside a span then starts in
// [start, end - minWidth], which the confirmer searches; since no newline lies between the ends,
// the last newline before the span's end is the last one before each of them, by which the
// confirmer bounds the starts of a rule that cannot match a newline. Without start of match a
// report's start is end - maxWidth, so a run of ends (`[A-Za-z0-9]{20,}` reports every byte of
// a long token) becomes one span, not one per byte: fewer objects cross into JavaScript.
//
// Objects:
//   compile(expressions, flags, ids, maxWidths, mode) -> Database   (throws per-pattern errors)
//   deserialize(bytes, ids, maxWidths, flags)         -> Database
//   check(expression, flags, mode)                    -> null | Vectorscan's error message
//   platform(), version(), runtime(), runtimes(), useRuntime(name), validPlatform()
//   widenPipe(fd, bytes)                              -> the pipe's capacity afterwards, or -1
//   Database: size(), streamSize(), info(), serialize(), open() -> Stream
//   Stream:   scan(chunk) -> count, end() -> count, spans() -> Float64Array, reset(), close(),
//             scanStart(chunk), scanFinish() -> count                (a scan on a thread of its own)
//
// Start offsets: a span's start is max(leftmost start reported, end - maxWidth of the pattern),
// clamped at 0, so a pattern compiled without HS_FLAG_SOM_LEFTMOST (from = 0) gets end - maxWidth,
// a lower bound on the real start, and a start past the SOM horizon is still a lower bound.
//
// Scratch: one per thread (Node-API instance data is per environment, so each worker thread has
// its own); every database created in that thread grows it with hs_alloc_scratch. Scanning never
// calls back into JS, so the scratch is never in use twice.
//
// Background scans: scanStart(chunk) scans the chunk on the stream's own thread and returns at
// once; scanFinish() waits for that scan and delivers what scan(chunk) would have. Meanwhile
// JavaScript goes on with earlier chunks' candidates and output on the main thread, on the other core.
// The stream holds a reference to the chunk until scanFinish() (the caller must not change its
// bytes in between) and scans with a scratch of its own, cloned on its first background scan: the
// thread's scratch may be in use by a synchronous scan of another stream. Every other call on the
// stream throws while a background scan is under way; a stream collected with one under way waits
// for it.
//
// Runtimes: Debian's libvectorscan is a "fat" build, one copy of the scanning runtime per
// instruction set (avx512_hs_*, avx2_hs_*, corei7_hs_*, core2_hs_*), which hs_* dispatches by CPU.
// Copies of 5.4.9 have bugs the others lack: the AVX-512 copy finds nothing in `W[a-z ]+W` after
// 64 bytes of `a` (an accelerator's tail mask, VectorCamp/vectorscan#378), and the AVX-512 and
// AVX2 copies lose a match whose two-byte anchor a scan call cuts (double-shufti's last byte,
// VectorCamp/vectorscan#402); both fixed upstream in 2026. runtimes() lists the copies this CPU
// can run, fastest first; useRuntime() picks one per thread for the databases compiled or loaded
// after it, and each database keeps the copy it was made for (its platform is that copy's).
// src/engine/vectorscan/addon.ts takes the first copy that finds its known answers. A library
// without the copies (not a fat build) has one runtime, "hs", dispatched by the library itself.
//
// Errors: every Vectorscan error becomes a JS Error whose `code` is the hs error name
// (HS_NOMEM, HS_INVALID, ...); compile errors also carry `expression` (index in the list), `id`
// and `hsMessage`. Nothing here aborts the process.

#include <fcntl.h>
#include <napi.h>

// Built without Vectorscan (binding.gyp defines SSEREDACT_VECTORSCAN when it finds hs.h), the
// addon holds widenPipe alone: the ts engine then still reads pipes 1 MiB at a time.
#ifdef SSEREDACT_VECTORSCAN
#include <dlfcn.h>
#include <hs.h>

#include <algorithm>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <system_error>
#include <thread>
#include <vector>
#endif

namespace {

#ifdef SSEREDACT_VECTORSCAN

const char* ErrorName(hs_error_t code) {
  switch (code) {
    case HS_SUCCESS: return "HS_SUCCESS";
    case HS_INVALID: return "HS_INVALID";
    case HS_NOMEM: return "HS_NOMEM";
    case HS_SCAN_TERMINATED: return "HS_SCAN_TERMINATED";
    case HS_COMPILER_ERROR: return "HS_COMPILER_ERROR";
    case HS_DB_VERSION_ERROR: return "HS_DB_VERSION_ERROR";
    case HS_DB_PLATFORM_ERROR: return "HS_DB_PLATFORM_ERROR";
    case HS_DB_MODE_ERROR: return "HS_DB_MODE_ERROR";
    case HS_BAD_ALIGN: return "HS_BAD_ALIGN";
    case HS_BAD_ALLOC: return "HS_BAD_ALLOC";
    case HS_SCRATCH_IN_USE: return "HS_SCRATCH_IN_USE";
    case HS_ARCH_ERROR: return "HS_ARCH_ERROR";
    case HS_INSUFFICIENT_SPACE: return "HS_INSUFFICIENT_SPACE";
    case HS_UNKNOWN_ERROR: return "HS_UNKNOWN_ERROR";
    default: return "HS_UNKNOWN_ERROR";
  }
}

Napi::Error HsError(Napi::Env env, const char* call, hs_error_t code) {
  Napi::Error error = Napi::Error::New(env, std::string(call) + " failed: " + ErrorName(code));
  error.Set("code", Napi::String::New(env, ErrorName(code)));
  return error;
}

void Check(Napi::Env env, const char* call, hs_error_t code) {
  if (code != HS_SUCCESS) throw HsError(env, call, code);
}

// ---- runtime choice (see the header) -----------------------------------------------------------

struct Runtime {
  std::string name;
  decltype(&hs_open_stream) openStream = hs_open_stream;
  decltype(&hs_scan_stream) scanStream = hs_scan_stream;
  decltype(&hs_reset_stream) resetStream = hs_reset_stream;
  decltype(&hs_close_stream) closeStream = hs_close_stream;
  // What databases are compiled for.
  hs_platform_info_t platform{};
};

template <typename Function>
bool Resolve(const std::string& symbol, Function* target) {
  void* address = dlsym(RTLD_DEFAULT, symbol.c_str());
  if (address == nullptr) return false;
  *target = reinterpret_cast<Function>(address);
  return true;
}

// The copy whose symbols start with `prefix`, compiled for `platform`, if the library exports it.
bool ResolveCopy(const char* prefix, const hs_platform_info_t& platform, std::vector<Runtime>* runtimes) {
  Runtime copy;
  copy.name = prefix;
  copy.platform = platform;
  const std::string p = std::string(prefix) + "_hs_";
  if (!Resolve(p + "open_stream", &copy.openStream) || !Resolve(p + "scan_stream", &copy.scanStream) ||
      !Resolve(p + "reset_stream", &copy.resetStream) || !Resolve(p + "close_stream", &copy.closeStream)) {
    return false;
  }
  runtimes->push_back(copy);
  return true;
}

std::vector<Runtime> FindRuntimes() {
  hs_platform_info_t native{};
  if (hs_populate_platform(&native) != HS_SUCCESS) return {Runtime{"hs"}};
  std::vector<Runtime> runtimes;
  const unsigned long long avx512 = HS_CPU_FEATURES_AVX512 | HS_CPU_FEATURES_AVX512VBMI;
  hs_platform_info_t platform = native;
  if ((native.cpu_features & avx512) != 0) ResolveCopy("avx512", platform, &runtimes);
  platform.cpu_features &= ~avx512;
  if ((native.cpu_features & HS_CPU_FEATURES_AVX2) != 0) ResolveCopy("avx2", platform, &runtimes);
  platform.cpu_features = 0;
#if defined(__x86_64__) || defined(__i386__)
  if (__builtin_cpu_supports("sse4.2") && __builtin_cpu_supports("popcnt")) ResolveCopy("corei7", platform, &runtimes);
  if (__builtin_cpu_supports("ssse3")) ResolveCopy("core2", platform, &runtimes);
#endif
  if (runtimes.empty()) {
    Runtime dispatched{"hs"};
    dispatched.platform = native;
    runtimes.push_back(dispatched);
  }
  return runtimes;
}

// The copies this CPU can run, fastest first; never empty.
const std::vector<Runtime>& Runtimes() {
  static const std::vector<Runtime> runtimes = FindRuntimes();
  return runtimes;
}

// Per-environment (per-thread) state.
struct AddonData {
  hs_scratch_t* scratch = nullptr;
  // The copy new databases are made for (useRuntime()).
  const Runtime* runtime = &Runtimes().front();
  Napi::FunctionReference databaseConstructor;
  Napi::FunctionReference streamConstructor;
  ~AddonData() {
    if (scratch != nullptr) hs_free_scratch(scratch);
  }
};

AddonData& Data(Napi::Env env) { return *env.GetInstanceData<AddonData>(); }

// The compiled database and what each pattern id needs at scan time. Shared by the Database
// object and every Stream opened on it, so a stream outliving its Database object stays valid.
struct Compiled {
  hs_database_t* db = nullptr;
  // The copy that scans it: the one it was compiled or loaded for.
  const Runtime* runtime = nullptr;
  // maxWidth per pattern id (ids index this vector directly).
  std::vector<double> maxWidthById;
  // Whether the pattern tracks its start (HS_FLAG_SOM_LEFTMOST): without it, `from` is always 0.
  std::vector<bool> knowsStartById;
  ~Compiled() {
    if (db != nullptr) hs_free_database(db);
  }
};

std::vector<uint32_t> ReadU32Array(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_uint32_array) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a Uint32Array");
  }
  Napi::Uint32Array array = value.As<Napi::Uint32Array>();
  return std::vector<uint32_t>(array.Data(), array.Data() + array.ElementLength());
}

std::vector<double> ReadF64Array(const Napi::Value& value, const char* what) {
  if (!value.IsTypedArray() || value.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array) {
    throw Napi::TypeError::New(value.Env(), std::string(what) + " must be a Float64Array");
  }
  Napi::Float64Array array = value.As<Napi::Float64Array>();
  return std::vector<double>(array.Data(), array.Data() + array.ElementLength());
}

// Builds the per-id tables; ids, maxWidths and flags are parallel arrays.
std::shared_ptr<Compiled> MakeCompiled(Napi::Env env, const std::vector<uint32_t>& ids,
                                       const std::vector<double>& maxWidths, const std::vector<uint32_t>& flags) {
  if (ids.size() != maxWidths.size() || ids.size() != flags.size()) {
    throw Napi::TypeError::New(env, "ids, maxWidths and flags must have the same length");
  }
  auto compiled = std::make_shared<Compiled>();
  compiled->runtime = Data(env).runtime;
  uint32_t maxId = 0;
  for (uint32_t id : ids) maxId = std::max(maxId, id);
  if (maxId > (1u << 24)) throw Napi::RangeError::New(env, "pattern id too large");
  compiled->maxWidthById.assign(ids.empty() ? 0 : maxId + 1, 0);
  compiled->knowsStartById.assign(compiled->maxWidthById.size(), false);
  for (size_t i = 0; i < ids.size(); i++) {
    compiled->maxWidthById[ids[i]] = maxWidths[i];
    compiled->knowsStartById[ids[i]] = (flags[i] & HS_FLAG_SOM_LEFTMOST) != 0;
  }
  return compiled;
}

void GrowScratch(Napi::Env env, hs_database_t* db) {
  Check(env, "hs_alloc_scratch", hs_alloc_scratch(db, &Data(env).scratch));
}

// ---- match merging -------------------------------------------------------------------------

struct Span {
  double id;
  double start;
  double end;
};
static_assert(sizeof(Span) == 3 * sizeof(double), "spans are copied into a Float64Array as triples");

// Collects one scan call's raw reports into merged spans.
struct Collector {
  const Compiled* compiled;
  // The open span per pattern id (end < 0: none), and the ids that have one.
  std::vector<Span> open;
  std::vector<uint32_t> openIds;
  std::vector<Span> spans;
  // The bytes of the scan call under way and the stream offset of their first byte (null at end()).
  const char* data = nullptr;
  double dataStart = 0;
  size_t dataLength = 0;

  explicit Collector(const Compiled* c) : compiled(c), open(c->maxWidthById.size(), Span{0, 0, -1}) {}

  void Add(unsigned int id, unsigned long long from, unsigned long long to) {
    if (id >= open.size()) return;
    const double end = static_cast<double>(to);
    // Not clamped at 0 here: near the stream's start, end-only reports of different ends would
    // then share start 0 and merge, and a merged span would hide that a match ends before a
    // newline its last end comes after (the confirmer bounds starts by the last newline). Finish()
    // clamps.
    const double lowest = end - compiled->maxWidthById[id];
    const bool knowsStart = compiled->knowsStartById[id] && from != HS_OFFSET_PAST_HORIZON;
    const double start = knowsStart ? std::max(static_cast<double>(from), lowest) : lowest;
    Span& span = open[id];
    if (span.end < 0) {
      span = Span{static_cast<double>(id), start, end};
      openIds.push_back(id);
    } else if (start <= span.end && std::max(span.end, end) - std::min(span.start, start) <= 2 * compiled->maxWidthById[id] &&
               !HasNewlineBetween(span.end, end)) {
      span.start = std::min(span.start, start);
      span.end = std::max(span.end, end);
    } else {
      spans.push_back(span);
      span = Span{static_cast<double>(id), start, end};
    }
  }

  // Whether a newline may lie in [from, to) (stream offsets): bytes outside the scan call's count as one.
  bool HasNewlineBetween(double from, double to) const {
    if (to <= from) return false;
    if (data == nullptr || from < dataStart || to > dataStart + static_cast<double>(dataLength)) return true;
    const size_t at = static_cast<size_t>(from - dataStart);
    return std::memchr(data + at, '\n', static_cast<size_t>(to - from)) != nullptr;
  }

  // Flushes the open spans; spans come out ordered by end, then start, then id.
  void Finish() {
    for (uint32_t id : openIds) {
      spans.push_back(open[id]);
      open[id].end = -1;
    }
    openIds.clear();
    for (Span& span : spans) span.start = std::max(0.0, span.start);
    std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) {
      if (a.end != b.end) return a.end < b.end;
      if (a.start != b.start) return a.start < b.start;
      return a.id < b.id;
    });
  }

  // Forgets everything collected, open spans included (after a failed scan).
  void Clear() {
    for (uint32_t id : openIds) open[id].end = -1;
    openIds.clear();
    spans.clear();
  }
};

int OnMatch(unsigned int id, unsigned long long from, unsigned long long to, unsigned int, void* context) {
  static_cast<Collector*>(context)->Add(id, from, to);
  return 0;
}

// ---- background thread ---------------------------------------------------------------------

// One thread that runs a stream's background scans, one at a time, started on the first and kept
// until the stream ends. A thread made for each scan starts on the core of the thread that made
// it and waits there for the scheduler to move it: scans then took 1.4x as long.
class Worker {
 public:
  ~Worker() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    wake_.notify_one();
    if (thread_.joinable()) thread_.join();
  }

  // Runs `job` on the thread; the previous job must be waited for. Throws std::system_error when
  // no thread can be made.
  void Start(std::function<void()> job) {
    std::unique_lock<std::mutex> lock(mutex_);
    job_ = std::move(job);
    busy_ = true;
    if (!thread_.joinable()) {
      try {
        thread_ = std::thread([this] { Loop(); });
      } catch (...) {
        job_ = nullptr;
        busy_ = false;
        throw;
      }
    }
    lock.unlock();
    wake_.notify_one();
  }

  // Returns once the last job has run.
  void Wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    done_.wait(lock, [this] { return !busy_; });
  }

 private:
  void Loop() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      wake_.wait(lock, [this] { return stopping_ || job_ != nullptr; });
      if (job_ == nullptr) return;
      std::function<void()> job = std::move(job_);
      job_ = nullptr;
      lock.unlock();
      job();
      lock.lock();
      busy_ = false;
      done_.notify_one();
    }
  }

  std::mutex mutex_;
  std::condition_variable wake_;
  std::condition_variable done_;
  std::function<void()> job_;
  bool busy_ = false;
  bool stopping_ = false;
  std::thread thread_;
};

// ---- Stream --------------------------------------------------------------------------------

class Stream : public Napi::ObjectWrap<Stream> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Stream",
                       {InstanceMethod("scan", &Stream::Scan), InstanceMethod("end", &Stream::End),
                        InstanceMethod("spans", &Stream::Spans), InstanceMethod("reset", &Stream::Reset),
                        InstanceMethod("close", &Stream::Close), InstanceMethod("scanStart", &Stream::ScanStart),
                        InstanceMethod("scanFinish", &Stream::ScanFinish)});
  }

  explicit Stream(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Stream>(info) {
    // Only Database.open() constructs streams; it passes an External holding the Compiled.
    if (info.Length() != 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "streams are opened with Database.open()");
    }
    compiled_ = *info[0].As<Napi::External<std::shared_ptr<Compiled>>>().Data();
    collector_ = std::make_unique<Collector>(compiled_.get());
    Check(info.Env(), "hs_open_stream", compiled_->runtime->openStream(compiled_->db, 0, &stream_));
    spans_ = Napi::Persistent(Napi::Float64Array::New(info.Env(), 3 * 64));
  }

  ~Stream() override {
    worker_.reset();  // waits for a scan under way
    if (stream_ != nullptr) compiled_->runtime->closeStream(stream_, nullptr, nullptr, nullptr);
    if (ownScratch_ != nullptr) hs_free_scratch(ownScratch_);
  }

 private:
  hs_stream_t* Live(Napi::Env env) {
    if (isScanningInBackground_) throw Napi::Error::New(env, "a background scan is under way: scanFinish() first");
    if (stream_ == nullptr) throw Napi::Error::New(env, "stream is closed");
    return stream_;
  }

  // Scans `length` bytes at `data` with `scan` (the runtime copy's hs_scan_stream) and `scratch`,
  // in calls of at most 1 GiB (hs_scan_stream takes an unsigned int length); the first error code,
  // or HS_SUCCESS. Touches nothing of Node-API nor static data (a background scan may outlast an
  // exit's destructors), so it runs on any thread.
  hs_error_t ScanBytes(decltype(&hs_scan_stream) scan, const char* data, size_t left, hs_scratch_t* scratch) {
    const size_t step = size_t{1} << 30;
    while (left > 0) {
      const size_t length = std::min(left, step);
      collector_->data = data;
      collector_->dataStart = scanned_;
      collector_->dataLength = length;
      hs_error_t code = scan(stream_, data, static_cast<unsigned int>(length), 0, scratch, OnMatch, collector_.get());
      collector_->data = nullptr;
      if (code != HS_SUCCESS) return code;
      data += length;
      left -= length;
      scanned_ += static_cast<double>(length);
    }
    return HS_SUCCESS;
  }

  static Napi::Uint8Array Chunk(const Napi::CallbackInfo& info, const char* usage) {
    if (info.Length() < 1 || !info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw Napi::TypeError::New(info.Env(), usage);
    }
    return info[0].As<Napi::Uint8Array>();
  }

  // Copies the collected spans into the output array (growing it if needed); returns the count.
  Napi::Value Deliver(Napi::Env env) {
    collector_->Finish();
    const size_t count = collector_->spans.size();
    if (count * 3 > spans_.Value().ElementLength()) {
      spans_ = Napi::Persistent(Napi::Float64Array::New(env, std::max(count * 3, spans_.Value().ElementLength() * 2)));
    }
    if (count > 0) {
      std::memcpy(spans_.Value().Data(), collector_->spans.data(), count * sizeof(Span));
    }
    collector_->Clear();
    return Napi::Number::New(env, static_cast<double>(count));
  }

  // scan(chunk: Uint8Array) -> number of spans written to spans().
  Napi::Value Scan(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    Napi::Uint8Array chunk = Chunk(info, "scan(chunk) needs a Uint8Array");
    hs_error_t code = ScanBytes(compiled_->runtime->scanStream, reinterpret_cast<const char*>(chunk.Data()), chunk.ElementLength(),
                                Data(env).scratch);
    if (code != HS_SUCCESS) {
      collector_->Clear();
      throw HsError(env, "hs_scan_stream", code);
    }
    return Deliver(env);
  }

  // scanStart(chunk: Uint8Array): scans the chunk on a thread of its own (see the header).
  void ScanStart(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    Live(env);
    Napi::Uint8Array chunk = Chunk(info, "scanStart(chunk) needs a Uint8Array");
    if (ownScratch_ == nullptr) Check(env, "hs_clone_scratch", hs_clone_scratch(Data(env).scratch, &ownScratch_));
    chunk_ = Napi::Persistent(chunk);
    const char* data = reinterpret_cast<const char*>(chunk.Data());
    const size_t length = chunk.ElementLength();
    if (worker_ == nullptr) worker_ = std::make_unique<Worker>();
    try {
      const auto scan = compiled_->runtime->scanStream;
      worker_->Start([this, scan, data, length] { backgroundCode_ = ScanBytes(scan, data, length, ownScratch_); });
    } catch (const std::system_error& error) {
      chunk_.Reset();
      throw Napi::Error::New(env, std::string("scanStart: no thread for the scan: ") + error.what());
    }
    isScanningInBackground_ = true;
  }

  // scanFinish() -> number of spans written to spans(), as scan(chunk) would have returned.
  Napi::Value ScanFinish(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    if (!isScanningInBackground_) throw Napi::Error::New(env, "scanFinish() without scanStart()");
    worker_->Wait();
    isScanningInBackground_ = false;
    chunk_.Reset();
    if (backgroundCode_ != HS_SUCCESS) {
      collector_->Clear();
      throw HsError(env, "hs_scan_stream", backgroundCode_);
    }
    return Deliver(env);
  }

  // end() -> number of spans that only the end of the stream decides ($, \b at the end); the
  // stream is back at offset 0 afterwards.
  Napi::Value End(const Napi::CallbackInfo& info) {
    Napi::Env env = info.Env();
    hs_error_t code = compiled_->runtime->resetStream(Live(env), 0, Data(env).scratch, OnMatch, collector_.get());
    scanned_ = 0;
    worker_.reset();  // a stream idle between streams keeps no thread
    if (code != HS_SUCCESS) {
      collector_->Clear();
      throw HsError(env, "hs_reset_stream", code);
    }
    return Deliver(env);
  }

  Napi::Value Spans(const Napi::CallbackInfo&) { return spans_.Value(); }

  void Reset(const Napi::CallbackInfo& info) {
    Check(info.Env(), "hs_reset_stream", compiled_->runtime->resetStream(Live(info.Env()), 0, nullptr, nullptr, nullptr));
    scanned_ = 0;
    worker_.reset();
  }

  void Close(const Napi::CallbackInfo& info) {
    if (stream_ == nullptr) return;
    Live(info.Env());
    worker_.reset();
    hs_error_t code = compiled_->runtime->closeStream(stream_, nullptr, nullptr, nullptr);
    stream_ = nullptr;
    Check(info.Env(), "hs_close_stream", code);
  }

  std::shared_ptr<Compiled> compiled_;
  std::unique_ptr<Collector> collector_;
  hs_stream_t* stream_ = nullptr;
  // Background scans (scanStart): the thread, whether one is under way, the chunk it reads, its
  // scratch and its result.
  std::unique_ptr<Worker> worker_;
  bool isScanningInBackground_ = false;
  Napi::Reference<Napi::Uint8Array> chunk_;
  hs_scratch_t* ownScratch_ = nullptr;
  hs_error_t backgroundCode_ = HS_SUCCESS;
  // Bytes scanned since the stream was opened or last reset: the stream offset of the next chunk.
  double scanned_ = 0;
  Napi::Reference<Napi::Float64Array> spans_;
};

// ---- Database ------------------------------------------------------------------------------

class Database : public Napi::ObjectWrap<Database> {
 public:
  static Napi::Function Define(Napi::Env env) {
    return DefineClass(env, "Database",
                       {InstanceMethod("size", &Database::Size), InstanceMethod("streamSize", &Database::StreamSize),
                        InstanceMethod("info", &Database::Info), InstanceMethod("serialize", &Database::Serialize),
                        InstanceMethod("open", &Database::Open)});
  }

  static Napi::Object Wrap(Napi::Env env, std::shared_ptr<Compiled> compiled) {
    auto holder = Napi::External<std::shared_ptr<Compiled>>::New(
        env, new std::shared_ptr<Compiled>(std::move(compiled)),
        [](Napi::Env, std::shared_ptr<Compiled>* p) { delete p; });
    return Data(env).databaseConstructor.New({holder});
  }

  explicit Database(const Napi::CallbackInfo& info) : Napi::ObjectWrap<Database>(info) {
    if (info.Length() != 1 || !info[0].IsExternal()) {
      throw Napi::TypeError::New(info.Env(), "databases come from compile() or deserialize()");
    }
    compiled_ = *info[0].As<Napi::External<std::shared_ptr<Compiled>>>().Data();
  }

 private:
  Napi::Value Size(const Napi::CallbackInfo& info) {
    size_t size = 0;
    Check(info.Env(), "hs_database_size", hs_database_size(compiled_->db, &size));
    return Napi::Number::New(info.Env(), static_cast<double>(size));
  }

  Napi::Value StreamSize(const Napi::CallbackInfo& info) {
    size_t size = 0;
    Check(info.Env(), "hs_stream_size", hs_stream_size(compiled_->db, &size));
    return Napi::Number::New(info.Env(), static_cast<double>(size));
  }

  Napi::Value Info(const Napi::CallbackInfo& info) {
    char* text = nullptr;
    Check(info.Env(), "hs_database_info", hs_database_info(compiled_->db, &text));
    Napi::String result = Napi::String::New(info.Env(), text);
    free(text);
    return result;
  }

  Napi::Value Serialize(const Napi::CallbackInfo& info) {
    char* bytes = nullptr;
    size_t length = 0;
    Check(info.Env(), "hs_serialize_database", hs_serialize_database(compiled_->db, &bytes, &length));
    Napi::Buffer<uint8_t> result = Napi::Buffer<uint8_t>::Copy(info.Env(), reinterpret_cast<uint8_t*>(bytes), length);
    free(bytes);
    return result;
  }

  Napi::Value Open(const Napi::CallbackInfo& info) {
    auto holder = Napi::External<std::shared_ptr<Compiled>>::New(
        info.Env(), new std::shared_ptr<Compiled>(compiled_),
        [](Napi::Env, std::shared_ptr<Compiled>* p) { delete p; });
    return Data(info.Env()).streamConstructor.New({holder});
  }

  std::shared_ptr<Compiled> compiled_;
};

// ---- module functions ----------------------------------------------------------------------

std::vector<std::string> ReadStrings(const Napi::Value& value) {
  if (!value.IsArray()) throw Napi::TypeError::New(value.Env(), "expressions must be an array of strings");
  Napi::Array array = value.As<Napi::Array>();
  std::vector<std::string> strings;
  strings.reserve(array.Length());
  for (uint32_t i = 0; i < array.Length(); i++) {
    Napi::Value item = array.Get(i);
    if (!item.IsString()) throw Napi::TypeError::New(value.Env(), "expressions must be an array of strings");
    strings.push_back(item.As<Napi::String>().Utf8Value());
  }
  return strings;
}

// compile(expressions: string[], flags: Uint32Array, ids: Uint32Array, maxWidths: Float64Array,
//         mode: number) -> Database
Napi::Value Compile(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 5 || !info[4].IsNumber()) {
    throw Napi::TypeError::New(env, "compile(expressions, flags, ids, maxWidths, mode)");
  }
  const std::vector<std::string> expressions = ReadStrings(info[0]);
  const std::vector<uint32_t> flags = ReadU32Array(info[1], "flags");
  const std::vector<uint32_t> ids = ReadU32Array(info[2], "ids");
  const std::vector<double> maxWidths = ReadF64Array(info[3], "maxWidths");
  const unsigned int mode = info[4].As<Napi::Number>().Uint32Value();
  if (flags.size() != expressions.size() || ids.size() != expressions.size()) {
    throw Napi::TypeError::New(env, "expressions, flags and ids must have the same length");
  }
  if (expressions.empty()) throw Napi::TypeError::New(env, "compile() needs at least one expression");
  std::shared_ptr<Compiled> compiled = MakeCompiled(env, ids, maxWidths, flags);

  std::vector<const char*> pointers;
  pointers.reserve(expressions.size());
  for (const std::string& expression : expressions) pointers.push_back(expression.c_str());
  hs_compile_error_t* compileError = nullptr;
  hs_error_t code = hs_compile_multi(pointers.data(), flags.data(), ids.data(),
                                     static_cast<unsigned int>(expressions.size()), mode, &compiled->runtime->platform,
                                     &compiled->db, &compileError);
  if (code == HS_COMPILER_ERROR && compileError != nullptr) {
    const int expression = compileError->expression;
    const std::string message = compileError->message != nullptr ? compileError->message : "unknown error";
    hs_free_compile_error(compileError);
    std::string text = expression >= 0 && static_cast<size_t>(expression) < ids.size()
                           ? "Vectorscan rejected pattern " + std::to_string(ids[expression]) + ": " + message
                           : "Vectorscan rejected the pattern set: " + message;
    Napi::Error error = Napi::Error::New(env, text);
    error.Set("code", Napi::String::New(env, "HS_COMPILER_ERROR"));
    error.Set("expression", Napi::Number::New(env, expression));
    if (expression >= 0 && static_cast<size_t>(expression) < ids.size()) {
      error.Set("id", Napi::Number::New(env, ids[expression]));
    }
    error.Set("hsMessage", Napi::String::New(env, message));
    throw error;
  }
  if (compileError != nullptr) hs_free_compile_error(compileError);
  Check(env, "hs_compile_multi", code);
  GrowScratch(env, compiled->db);
  return Database::Wrap(env, std::move(compiled));
}

// check(expression: string, flags: number, mode: number) -> null | string: compiles one pattern
// alone and says why Vectorscan refuses it, if it does.
Napi::Value CheckPattern(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 3 || !info[0].IsString() || !info[1].IsNumber() || !info[2].IsNumber()) {
    throw Napi::TypeError::New(env, "check(expression, flags, mode)");
  }
  const std::string expression = info[0].As<Napi::String>().Utf8Value();
  hs_database_t* db = nullptr;
  hs_compile_error_t* compileError = nullptr;
  hs_error_t code = hs_compile(expression.c_str(), info[1].As<Napi::Number>().Uint32Value(),
                               info[2].As<Napi::Number>().Uint32Value(), &Data(env).runtime->platform, &db, &compileError);
  if (db != nullptr) hs_free_database(db);
  if (code == HS_COMPILER_ERROR && compileError != nullptr) {
    Napi::String message = Napi::String::New(env, compileError->message != nullptr ? compileError->message : "unknown error");
    hs_free_compile_error(compileError);
    return message;
  }
  if (compileError != nullptr) hs_free_compile_error(compileError);
  Check(env, "hs_compile", code);
  return env.Null();
}

// deserialize(bytes: Uint8Array, ids: Uint32Array, maxWidths: Float64Array, flags: Uint32Array)
// -> Database; ids, maxWidths and flags as given to compile().
Napi::Value Deserialize(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 4 || !info[0].IsTypedArray() ||
      info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
    throw Napi::TypeError::New(env, "deserialize(bytes: Uint8Array, ids, maxWidths, flags)");
  }
  Napi::Uint8Array bytes = info[0].As<Napi::Uint8Array>();
  std::shared_ptr<Compiled> compiled = MakeCompiled(env, ReadU32Array(info[1], "ids"), ReadF64Array(info[2], "maxWidths"),
                                                    ReadU32Array(info[3], "flags"));
  Check(env, "hs_deserialize_database",
        hs_deserialize_database(reinterpret_cast<const char*>(bytes.Data()), bytes.ElementLength(), &compiled->db));
  GrowScratch(env, compiled->db);
  return Database::Wrap(env, std::move(compiled));
}

// platform() -> { tune, cpuFeatures }: what compiled databases are specialised for.
Napi::Value Platform(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const hs_platform_info_t& platform = Data(env).runtime->platform;
  Napi::Object result = Napi::Object::New(env);
  result.Set("tune", Napi::Number::New(env, platform.tune));
  result.Set("cpuFeatures", Napi::Number::New(env, static_cast<double>(platform.cpu_features)));
  return result;
}

Napi::Value Version(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), hs_version()); }

// runtime() -> the name of the copy new databases are made for (see the header).
Napi::Value RuntimeName(const Napi::CallbackInfo& info) { return Napi::String::New(info.Env(), Data(info.Env()).runtime->name); }

// runtimes() -> the names of the copies this CPU can run, fastest first.
Napi::Value RuntimeNames(const Napi::CallbackInfo& info) {
  Napi::Array names = Napi::Array::New(info.Env(), Runtimes().size());
  for (size_t i = 0; i < Runtimes().size(); i++) names.Set(static_cast<uint32_t>(i), Runtimes()[i].name);
  return names;
}

// useRuntime(name): databases compiled or loaded after it, in this thread, run on that copy.
void UseRuntime(const Napi::CallbackInfo& info) {
  const std::string name = info.Length() > 0 && info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "";
  for (const Runtime& runtime : Runtimes()) {
    if (runtime.name == name) {
      Data(info.Env()).runtime = &runtime;
      return;
    }
  }
  throw Napi::TypeError::New(info.Env(), "useRuntime(name): no runtime named '" + name + "' (see runtimes())");
}

Napi::Value ValidPlatform(const Napi::CallbackInfo& info) {
  return Napi::Boolean::New(info.Env(), hs_valid_platform() == HS_SUCCESS);
}

#endif  // SSEREDACT_VECTORSCAN

// widenPipe(fd, bytes) -> the capacity of the pipe `fd` after asking for at least `bytes` (Linux
// F_SETPIPE_SZ; never shrinks it), or -1 when `fd` is no pipe or the system has no such call. Not
// Vectorscan: Node has no call for it, and this addon is sseredact's only native code (built
// without Vectorscan where its headers are missing, for this call alone). A pipe
// holds 64 KiB by default, so a reader busy with one chunk finds at most 64 KiB waiting; with
// 1 MiB (Linux's default limit for unprivileged processes) it takes up to 1 MiB in one read.
Napi::Value WidenPipe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (info.Length() < 2 || !info[0].IsNumber() || !info[1].IsNumber()) {
    throw Napi::TypeError::New(env, "widenPipe(fd, bytes) needs two numbers");
  }
#if defined(F_GETPIPE_SZ) && defined(F_SETPIPE_SZ)
  const int fd = info[0].As<Napi::Number>().Int32Value();
  const int bytes = info[1].As<Napi::Number>().Int32Value();
  int capacity = fcntl(fd, F_GETPIPE_SZ);
  if (capacity >= 0 && capacity < bytes) {
    // Refused past the per-user limit of pipe memory (EPERM): the pipe keeps its capacity.
    const int widened = fcntl(fd, F_SETPIPE_SZ, bytes);
    if (widened >= 0) capacity = widened;
  }
  return Napi::Number::New(env, capacity < 0 ? -1 : capacity);
#else
  return Napi::Number::New(env, -1);
#endif
}

Napi::Object Init(Napi::Env env, Napi::Object exports) {
#ifdef SSEREDACT_VECTORSCAN
  auto* data = new AddonData();
  env.SetInstanceData(data);
  Napi::Function database = Database::Define(env);
  Napi::Function stream = Stream::Define(env);
  data->databaseConstructor = Napi::Persistent(database);
  data->streamConstructor = Napi::Persistent(stream);

  Napi::Object constants = Napi::Object::New(env);
  constants.Set("HS_FLAG_CASELESS", HS_FLAG_CASELESS);
  constants.Set("HS_FLAG_DOTALL", HS_FLAG_DOTALL);
  constants.Set("HS_FLAG_MULTILINE", HS_FLAG_MULTILINE);
  constants.Set("HS_FLAG_SINGLEMATCH", HS_FLAG_SINGLEMATCH);
  constants.Set("HS_FLAG_ALLOWEMPTY", HS_FLAG_ALLOWEMPTY);
  constants.Set("HS_FLAG_PREFILTER", HS_FLAG_PREFILTER);
  constants.Set("HS_FLAG_SOM_LEFTMOST", HS_FLAG_SOM_LEFTMOST);
  constants.Set("HS_MODE_STREAM", HS_MODE_STREAM);
  constants.Set("HS_MODE_SOM_HORIZON_LARGE", HS_MODE_SOM_HORIZON_LARGE);
  constants.Set("HS_MODE_SOM_HORIZON_MEDIUM", HS_MODE_SOM_HORIZON_MEDIUM);
  constants.Set("HS_MODE_SOM_HORIZON_SMALL", HS_MODE_SOM_HORIZON_SMALL);

  exports.Set("constants", constants);
  exports.Set("compile", Napi::Function::New(env, Compile, "compile"));
  exports.Set("check", Napi::Function::New(env, CheckPattern, "check"));
  exports.Set("deserialize", Napi::Function::New(env, Deserialize, "deserialize"));
  exports.Set("platform", Napi::Function::New(env, Platform, "platform"));
  exports.Set("version", Napi::Function::New(env, Version, "version"));
  exports.Set("runtime", Napi::Function::New(env, RuntimeName, "runtime"));
  exports.Set("runtimes", Napi::Function::New(env, RuntimeNames, "runtimes"));
  exports.Set("useRuntime", Napi::Function::New(env, UseRuntime, "useRuntime"));
  exports.Set("validPlatform", Napi::Function::New(env, ValidPlatform, "validPlatform"));
#endif
  exports.Set("widenPipe", Napi::Function::New(env, WidenPipe, "widenPipe"));
  return exports;
}

}  // namespace

NODE_API_MODULE(sseredact_vectorscan, Init)
