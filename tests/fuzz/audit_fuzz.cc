// The audit log readers on untrusted files: what `jitguard audit verify|replay` and a reopening
// sink run on a log they did not write. Three properties on every input:
//
// 1. The input as a log file (VerifyAuditLog keyless and keyed, AuditLogReader with and without a
//    session, FileAuditSink reopening it) and as one record line (SplitLine,
//    AuditCheckpoint::Parse): never crashes. Whatever the verifier accepts, a naive reference check
//    (one-shot OpenSSL HMAC / SHA-256, string compares) accepts too, so a garbage log is never
//    reported as verified; a checkpoint taken from the result verifies, a longer or different one
//    does not; a log that verifies reopens and takes one more record that verifies.
// 2. The input as a few events: the sink writes them, the log verifies, and every record whose text
//    is valid UTF-8 parses as JSON and gives back the event's strings and numbers (escaping).
// 3. That log mutated (bytes flipped, cut, inserted, truncated, as the input says): unless the
// bytes
//    are unchanged it never verifies as the whole chain (at most as a shorter chain or with a torn
//    tail, both reported), and never against the checkpoint without a torn tail.
//
// Files go to a private directory in /dev/shm (or /tmp), removed at exit.
#include <fuzzer/FuzzedDataProvider.h>
#include <openssl/hmac.h>
#include <openssl/sha.h>
#include <stdlib.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <memory>
#include <optional>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "absl/time/time.h"
#include "jitguard/audit.h"
#include "jitguard/secret.h"
#include "lib/audit/chain.h"
#include "simdjson.h"

namespace {

using jitguard::AuditCheckpoint;
using jitguard::AuditEvent;
using jitguard::AuditValue;
using jitguard::AuditVerifyResult;
using jitguard::SecretBytes;

constexpr std::string_view kKey = "audit-fuzz-key-0123456789abcdef0123456789";

void Check(bool ok, const char* what) {
  if (!ok) {
    std::fprintf(stderr, "audit_fuzz: property violated: %s\n", what);
    std::abort();
  }
}

struct TempDir {
  std::string path;
  TempDir() {
    std::string base = std::filesystem::is_directory("/dev/shm") ? "/dev/shm" : "/tmp";
    std::string tmpl = base + "/jitguard-audit-fuzz-XXXXXX";
    if (mkdtemp(tmpl.data()) == nullptr) std::abort();
    path = tmpl;
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
  // A fresh file name: no rotated siblings (path.1, ...) are ever created next to it.
  std::string File(std::string_view name) const {
    std::string f = path + "/" + std::string(name);
    std::error_code ec;
    std::filesystem::remove(f, ec);
    return f;
  }
};

const TempDir& Dir() {
  static const TempDir dir;
  return dir;
}

void WriteFile(const std::string& path, std::string_view data) {
  std::ofstream out(path, std::ios::binary | std::ios::trunc);
  out.write(data.data(), static_cast<std::streamsize>(data.size()));
  if (!out) std::abort();
}

std::string ReadFile(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

std::string Hex(const uint8_t* d, size_t n) {
  static const char kDigits[] = "0123456789abcdef";
  std::string out;
  for (size_t i = 0; i < n; ++i) {
    out.push_back(kDigits[d[i] >> 4]);
    out.push_back(kDigits[d[i] & 15]);
  }
  return out;
}

std::optional<std::string> Unhex(std::string_view hex) {
  if (hex.size() != 64) return std::nullopt;
  std::string out;
  for (size_t i = 0; i < 64; i += 2) {
    auto v = [](char c) -> int {
      if (c >= '0' && c <= '9') return c - '0';
      if (c >= 'a' && c <= 'f') return c - 'a' + 10;
      return -1;
    };
    int hi = v(hex[i]), lo = v(hex[i + 1]);
    if (hi < 0 || lo < 0) return std::nullopt;
    out.push_back(static_cast<char>(hi << 4 | lo));
  }
  return out;
}

// The chain rule of docs/audit.md, written the obvious way (no precomputed pads, no SplitLine).
std::string ReferenceHash(std::string_view key, std::string_view prev_raw, std::string_view body) {
  std::string msg = std::string(prev_raw) + std::string(body);
  uint8_t out[32];
  if (key.empty()) {
    SHA256(reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), out);
  } else {
    unsigned int len = 0;
    HMAC(EVP_sha256(), key.data(), static_cast<int>(key.size()),
         reinterpret_cast<const uint8_t*>(msg.data()), msg.size(), out, &len);
  }
  return Hex(out, 32);
}

// True when `lines` (complete lines, in order) form a chain of records 1..n under `key`.
bool ReferenceChainOk(const std::vector<std::string_view>& lines, std::string_view key) {
  std::string prev(64, '0');
  for (size_t i = 0; i < lines.size(); ++i) {
    std::string_view line = lines[i];
    const std::string start = "{\"seq\":" + std::to_string(i + 1);
    constexpr size_t kTail = 9 + 64 + 1 + 9 + 64 + 2;  // ,"prev":"<hex>","hash":"<hex>"}
    if (line.size() < start.size() + 1 + kTail) return false;
    if (line.substr(0, start.size()) != start) return false;
    if (line[start.size()] != ',' && line[start.size()] != '}') return false;
    std::string_view tail = line.substr(line.size() - kTail);
    if (tail.substr(0, 9) != ",\"prev\":\"" || tail.substr(73, 10) != "\",\"hash\":\"" ||
        tail.substr(147) != "\"}") {
      return false;
    }
    std::string_view prev_hex = tail.substr(9, 64), hash_hex = tail.substr(83, 64);
    if (prev_hex != prev) return false;
    std::optional<std::string> prev_raw = Unhex(prev_hex);
    if (!prev_raw || !Unhex(hash_hex)) return false;
    std::string_view body = line.substr(0, line.size() - (9 + 64 + 2));
    if (ReferenceHash(key, *prev_raw, body) != hash_hex) return false;
    prev = std::string(hash_hex);
  }
  return true;
}

// Complete lines of `data` and whether bytes follow the last newline.
std::vector<std::string_view> CompleteLines(std::string_view data, bool* torn) {
  std::vector<std::string_view> lines;
  size_t nl;
  while ((nl = data.find('\n')) != std::string_view::npos) {
    lines.push_back(data.substr(0, nl));
    data.remove_prefix(nl + 1);
  }
  *torn = !data.empty();
  return lines;
}

jitguard::FileAuditSinkOptions SinkOptions(std::string_view key) {
  jitguard::FileAuditSinkOptions o;
  o.hmac_key = SecretBytes(std::string(key));
  o.fsync = jitguard::FsyncPolicy::kNever;
  o.masking = jitguard::AuditMasking::kOff;
  o.clock = [] { return absl::FromUnixSeconds(1'800'000'000); };
  return o;
}

AuditEvent SimpleEvent() {
  AuditEvent e;
  e.type = "session.end";
  e.session_id = "s";
  return e;
}

// ---- 1: the input as a log and as a line

void VerifyRawLog(std::string_view in, std::string_view key) {
  const std::string file = Dir().File("raw.log");
  WriteFile(file, in);
  const SecretBytes secret{std::string(key)};
  absl::StatusOr<AuditVerifyResult> r = jitguard::VerifyAuditLog(file, secret);
  Check(r.ok(), "an existing file is verifiable");
  bool torn = false;
  std::vector<std::string_view> lines = CompleteLines(in, &torn);
  Check(r->records <= lines.size(), "no more records than lines");
  Check(r->ok == (r->first_bad == 0 && r->reason.empty()), "ok iff no first_bad and no reason");
  Check(r->head.records == r->records, "head counts the intact records");
  if (!r->ok) {
    Check(r->first_bad == r->records + 1, "first_bad follows the intact records");
    Check(r->records < lines.size() || r->reason == "torn_line", "a failure names a line");
  } else {
    Check(r->records == lines.size() && r->torn_tail == torn, "ok covers every complete line");
    Check(ReferenceChainOk(lines, key), "what verifies is a chain by the reference rule");
  }
  // The intact prefix always verifies by the reference rule, with the reported head.
  lines.resize(r->records);
  Check(ReferenceChainOk(lines, key), "the intact prefix is a chain by the reference rule");
  if (r->records > 0) {
    std::string_view last = lines.back();
    Check(last.substr(last.size() - 66, 64) == r->head.head, "head is the last intact hash");
  } else {
    Check(r->head.head == std::string(64, '0'), "an empty chain's head is zeros");
  }

  if (r->ok) {
    // The checkpoint the verifier reported verifies; a longer or a different one does not.
    absl::StatusOr<AuditVerifyResult> same = jitguard::VerifyAuditLog(file, secret, r->head);
    Check(same.ok() && same->ok && same->records == r->records, "own checkpoint verifies");
    AuditCheckpoint longer = r->head;
    ++longer.records;
    absl::StatusOr<AuditVerifyResult> trunc = jitguard::VerifyAuditLog(file, secret, longer);
    Check(trunc.ok() && !trunc->ok && trunc->reason == "truncated", "longer checkpoint: truncated");
    AuditCheckpoint other = r->head;
    other.head[0] = other.head[0] == '0' ? '1' : '0';
    absl::StatusOr<AuditVerifyResult> mism = jitguard::VerifyAuditLog(file, secret, other);
    Check(mism.ok() && !mism->ok && mism->reason == "checkpoint_mismatch",
          "other head: checkpoint_mismatch");
  }

  // Replay: every complete non-empty line in order, a torn tail skipped.
  absl::StatusOr<std::unique_ptr<jitguard::AuditLogReader>> reader =
      jitguard::AuditLogReader::Open(file);
  Check(reader.ok(), "an existing file opens for reading");
  bool torn_ignored = false;
  std::vector<std::string_view> all = CompleteLines(in, &torn_ignored);
  size_t next = 0;
  std::string record;
  while (true) {
    absl::StatusOr<bool> got = (*reader)->Next(&record);
    Check(got.ok(), "reading all records never fails");
    if (!*got) break;
    while (next < all.size() && all[next].empty()) ++next;
    Check(next < all.size() && record == all[next], "the reader returns the lines in order");
    ++next;
  }
  while (next < all.size() && all[next].empty()) ++next;
  Check(next == all.size(), "the reader returns every line");
  // By session: a subset, in order; or a malformed error (a line that is not JSON).
  absl::StatusOr<std::unique_ptr<jitguard::AuditLogReader>> by_session =
      jitguard::AuditLogReader::Open(file, std::string("s"));
  Check(by_session.ok(), "an existing file opens for a session");
  for (size_t n = 0; n <= all.size(); ++n) {
    absl::StatusOr<bool> got = (*by_session)->Next(&record);
    if (!got.ok() || !*got) break;
    Check(n < all.size(), "the session reader ends");
  }

  // Reopen: a log that verifies takes one more record and still verifies.
  absl::StatusOr<std::unique_ptr<jitguard::FileAuditSink>> sink =
      jitguard::FileAuditSink::Open(file, SinkOptions(key));
  if (r->ok) Check(sink.ok(), "a log that verifies reopens");
  if (!sink.ok()) return;
  absl::Status w = (*sink)->Write(SimpleEvent());
  absl::Status c = (*sink)->Close();
  Check(w.ok() && c.ok(), "a reopened log takes a record");
  if (r->ok) {
    absl::StatusOr<AuditVerifyResult> again = jitguard::VerifyAuditLog(file, secret);
    Check(again.ok() && again->ok && !again->torn_tail && again->records == r->records + 1,
          "a reopened log verifies with one more record");
  }
}

void ParseRawLine(std::string_view in) {
  jitguard::audit_internal::LineParts parts;
  if (jitguard::audit_internal::SplitLine(in, &parts)) {
    Check(parts.body.size() + 75 == in.size() && in.substr(0, parts.body.size()) == parts.body,
          "the body is the line before the hash member");
    Check(parts.prev_hex.size() == 64 && parts.hash_hex.size() == 64, "fixed-width hex");
    Check(in.substr(0, 7 + std::to_string(parts.seq).size()) ==
              "{\"seq\":" + std::to_string(parts.seq),
          "seq is the digits after {\"seq\":");
  }
  absl::StatusOr<AuditCheckpoint> cp = AuditCheckpoint::Parse(in);
  if (cp.ok()) {
    absl::StatusOr<AuditCheckpoint> again = AuditCheckpoint::Parse(cp->ToString());
    Check(again.ok() && again->records == cp->records && again->head == cp->head,
          "a parsed checkpoint round-trips");
    // The only freedom in the text form is leading zeros of the count.
    const size_t colon = in.find(':');
    std::string_view count = in.substr(0, colon);
    while (count.size() > 1 && count[0] == '0') count.remove_prefix(1);
    Check(std::string(count) + std::string(in.substr(colon)) == cp->ToString(),
          "a checkpoint parses to the number it spells");
  }
}

// ---- 2 and 3: a log written from the input, then mutated

std::string Str(FuzzedDataProvider& fdp, size_t max) { return fdp.ConsumeRandomLengthString(max); }

AuditEvent FuzzEvent(FuzzedDataProvider& fdp) {
  AuditEvent e;
  e.type = Str(fdp, 16);
  if (fdp.ConsumeBool()) e.time = absl::FromUnixMicros(fdp.ConsumeIntegral<int64_t>());
  e.session_id = Str(fdp, 24);
  e.subject = Str(fdp, 24);
  if (fdp.ConsumeBool()) e.groups = {Str(fdp, 12), Str(fdp, 12)};
  e.model = Str(fdp, 12);
  e.decision = Str(fdp, 12);
  e.Set("prompt", Str(fdp, 64));
  e.Set("n", static_cast<long long>(fdp.ConsumeIntegral<int64_t>()));
  uint64_t bits = fdp.ConsumeIntegral<uint64_t>();
  double d;
  std::memcpy(&d, &bits, sizeof(d));
  e.Set("x", d);  // NaN and infinities are refused (bad_event)
  e.Set(Str(fdp, 8), AuditValue::Object({{"k", Str(fdp, 8)}, {Str(fdp, 4), true}}));
  return e;
}

// The record's JSON gives back the event's values (only when the text is valid UTF-8: strings are
// copied byte for byte, so invalid UTF-8 in an event makes a record that is not JSON).
void CheckRecordJson(simdjson::dom::parser& parser, std::string_view line, const AuditEvent& e,
                     uint64_t seq) {
  if (!simdjson::validate_utf8(line.data(), line.size())) return;
  simdjson::padded_string padded(line);
  simdjson::dom::element doc;
  Check(parser.parse(padded).get(doc) == simdjson::SUCCESS, "a valid UTF-8 record is JSON");
  uint64_t rseq = 0;
  Check(doc["seq"].get(rseq) == simdjson::SUCCESS && rseq == seq, "seq round-trips");
  std::string_view s;
  Check(doc["type"].get(s) == simdjson::SUCCESS && s == e.type, "type round-trips");
  if (e.session_id.empty()) {
    Check(doc["session_id"].error() == simdjson::NO_SUCH_FIELD, "empty session_id left out");
  } else {
    Check(doc["session_id"].get(s) == simdjson::SUCCESS && s == e.session_id,
          "session_id round-trips");
  }
  Check(doc["prompt"].get(s) == simdjson::SUCCESS && s == e.fields[0].second.string_value(),
        "an extra string round-trips");
  int64_t n = 0;
  Check(doc["n"].get(n) == simdjson::SUCCESS && n == e.fields[1].second.int_value(),
        "an extra integer round-trips");
  double x = 0;
  Check(doc["x"].get(x) == simdjson::SUCCESS && x == e.fields[2].second.double_value(),
        "an extra double round-trips");
}

void WriteAndMutate(FuzzedDataProvider& fdp) {
  const std::string_view key = fdp.ConsumeBool() ? kKey : std::string_view();
  const std::string file = Dir().File("built.log");
  std::vector<std::string> lines_expected;
  uint64_t written = 0;
  std::vector<AuditEvent> events;
  AuditCheckpoint cp;
  {
    absl::StatusOr<std::unique_ptr<jitguard::FileAuditSink>> sink =
        jitguard::FileAuditSink::Open(file, SinkOptions(key));
    Check(sink.ok(), "a fresh log opens");
    const int n = fdp.ConsumeIntegralInRange(1, 4);
    for (int i = 0; i < n; ++i) {
      AuditEvent e = FuzzEvent(fdp);
      absl::Status s = (*sink)->Write(e);
      if (!s.ok()) continue;  // bad_event: empty type, reserved/duplicate name, non-finite double
      if (e.time == absl::InfinitePast()) e.time = absl::FromUnixSeconds(1'800'000'000);
      events.push_back(std::move(e));
      ++written;
    }
    cp = (*sink)->Checkpoint();
    Check((*sink)->Close().ok(), "close");
  }
  const std::string original = ReadFile(file);
  const SecretBytes secret{std::string(key)};
  absl::StatusOr<AuditVerifyResult> r = jitguard::VerifyAuditLog(file, secret, cp);
  Check(r.ok() && r->ok && !r->torn_tail && r->records == written && cp.records == written,
        "the sink's own log verifies against its checkpoint");
  bool torn = false;
  std::vector<std::string_view> lines = CompleteLines(original, &torn);
  Check(lines.size() == written && !torn && ReferenceChainOk(lines, key),
        "the sink's own log is a chain by the reference rule");
  static simdjson::dom::parser parser;
  for (size_t i = 0; i < lines.size(); ++i) {
    CheckRecordJson(parser, lines[i], events[i], i + 1);
  }

  // Mutate.
  std::string bytes = original;
  const int ops = fdp.ConsumeIntegralInRange(1, 3);
  for (int i = 0; i < ops && !bytes.empty(); ++i) {
    size_t pos = fdp.ConsumeIntegralInRange<size_t>(0, bytes.size() - 1);
    switch (fdp.ConsumeIntegralInRange(0, 3)) {
      case 0:
        bytes[pos] = static_cast<char>(bytes[pos] ^ fdp.ConsumeIntegralInRange(1, 255));
        break;
      case 1:
        bytes.erase(pos, fdp.ConsumeIntegralInRange<size_t>(1, 16));
        break;
      case 2:
        bytes.insert(pos, Str(fdp, 16));
        break;
      case 3:
        bytes.resize(pos);
        break;
    }
  }
  if (bytes == original) return;
  WriteFile(file, bytes);
  absl::StatusOr<AuditVerifyResult> plain = jitguard::VerifyAuditLog(file, secret);
  Check(plain.ok(), "a mutated log is verifiable");
  Check(!(plain->ok && plain->records == written && !plain->torn_tail),
        "a mutated log never verifies as the whole chain");
  absl::StatusOr<AuditVerifyResult> against = jitguard::VerifyAuditLog(file, secret, cp);
  Check(against.ok(), "a mutated log is verifiable against a checkpoint");
  Check(!against->ok || against->torn_tail,
        "a mutated log never verifies against the checkpoint without a torn tail");
  if (against->ok) {
    Check(bytes.size() > original.size() && bytes.compare(0, original.size(), original) == 0,
          "a mutated log that verifies is the original plus a torn tail");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view in(reinterpret_cast<const char*>(data), size);
  VerifyRawLog(in, "");
  VerifyRawLog(in, kKey);
  ParseRawLine(in);
  FuzzedDataProvider fdp(data, size);
  WriteAndMutate(fdp);
  return 0;
}
