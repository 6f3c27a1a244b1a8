#include "lib/audit/record.h"

#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/time.h"
#include "fmt/format.h"
#include "jitguard/status.h"
#include "lib/base/json.h"

namespace jitguard {

std::string AuditCheckpoint::ToString() const { return absl::StrCat(records, ":", head); }

absl::StatusOr<AuditCheckpoint> AuditCheckpoint::Parse(std::string_view text) {
  auto bad = [] {
    return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kAudit, "bad_checkpoint",
                     "a checkpoint is \"<records>:<64 lowercase hex digits>\"");
  };
  size_t colon = text.find(':');
  if (colon == std::string_view::npos || colon == 0 || colon > 20) return bad();
  AuditCheckpoint cp;
  for (char c : text.substr(0, colon)) {
    if (c < '0' || c > '9') return bad();
    const uint64_t digit = static_cast<uint64_t>(c - '0');
    // 20 digits can spell more than UINT64_MAX: refuse rather than wrap to another count.
    if (cp.records > (UINT64_MAX - digit) / 10) return bad();
    cp.records = cp.records * 10 + digit;
  }
  std::string_view head = text.substr(colon + 1);
  if (head.size() != 64) return bad();
  for (char c : head) {
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return bad();
  }
  cp.head = std::string(head);
  return cp;
}

absl::StatusOr<std::string> CanonicalAuditRecord(const AuditEvent& event, uint64_t seq) {
  if (absl::Status s = audit_internal::ValidateEvent(event); !s.ok()) return s;
  if (event.time == absl::InfinitePast()) {
    return audit_internal::AuditError(absl::StatusCode::kInvalidArgument, "bad_event",
                                      "the event's time is not set");
  }
  std::string out;
  audit_internal::AppendCanonicalOpen(event, seq, event.time, &out);
  out.push_back('}');
  return out;
}

namespace audit_internal {
namespace {

// True when some byte of `v` is < 0x20, '"' or '\\' (may also flag bytes after a true hit: callers
// only use it to pick the careful path).
inline uint64_t MaybeSpecial(uint64_t v) {
  constexpr uint64_t kOnes = 0x0101010101010101ULL, kHigh = 0x8080808080808080ULL;
  uint64_t quote = v ^ (kOnes * '"');
  uint64_t backslash = v ^ (kOnes * '\\');
  return (((v - kOnes * 0x20) & ~v) | ((quote - kOnes) & ~quote) |
          ((backslash - kOnes) & ~backslash)) &
         kHigh;
}

// base::AppendJsonString, with a bulk path for the common string that needs no escaping.
void AppendJson(std::string* out, std::string_view s) {
  size_t i = 0;
  for (; i + 8 <= s.size(); i += 8) {
    uint64_t v;
    std::memcpy(&v, s.data() + i, 8);
    if (MaybeSpecial(v) != 0) return base::AppendJsonString(out, s);
  }
  for (; i < s.size(); ++i) {
    unsigned char c = static_cast<unsigned char>(s[i]);
    if (c < 0x20 || c == '"' || c == '\\') return base::AppendJsonString(out, s);
  }
  out->push_back('"');
  out->append(s);
  out->push_back('"');
}

constexpr std::string_view kReserved[] = {"seq",        "time",       "type",
                                          "session_id", "request_id", "subject",
                                          "groups",     "model",      "gen_ai.request.model",
                                          "dataset",    "operation",  "decision",
                                          "rules",      "prev",       "hash",
                                          "writer_id"};

bool IsReserved(std::string_view name) {
  for (std::string_view r : kReserved) {
    if (name == r) return true;
  }
  return false;
}

absl::Status ValidateValue(const AuditValue& v, int depth) {
  if (depth > 8)
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_event", "fields nest too deep");
  switch (v.kind()) {
    case AuditValue::Kind::kDouble:
      if (!std::isfinite(v.double_value())) {
        return AuditError(absl::StatusCode::kInvalidArgument, "bad_event",
                          "a field holds a non-finite number");
      }
      break;
    case AuditValue::Kind::kObject: {
      const auto& members = v.members();
      for (size_t i = 0; i < members.size(); ++i) {
        for (size_t j = 0; j < i; ++j) {
          if (members[j].first == members[i].first) {
            return AuditError(absl::StatusCode::kInvalidArgument, "bad_event",
                              "an object has two members with one name");
          }
        }
        if (absl::Status s = ValidateValue(members[i].second, depth + 1); !s.ok()) return s;
      }
      break;
    }
    default:
      break;
  }
  return absl::OkStatus();
}

void AppendStringList(std::string* out, const std::vector<std::string>& list) {
  out->push_back('[');
  for (size_t i = 0; i < list.size(); ++i) {
    if (i > 0) out->push_back(',');
    AppendJson(out, list[i]);
  }
  out->push_back(']');
}

void AppendValue(std::string* out, const AuditValue& v) {
  switch (v.kind()) {
    case AuditValue::Kind::kNull:
      out->append("null");
      break;
    case AuditValue::Kind::kString:
      AppendJson(out, v.string_value());
      break;
    case AuditValue::Kind::kInt:
      absl::StrAppend(out, v.int_value());
      break;
    case AuditValue::Kind::kDouble:
      fmt::format_to(std::back_inserter(*out), "{}", v.double_value());
      break;
    case AuditValue::Kind::kBool:
      out->append(v.bool_value() ? "true" : "false");
      break;
    case AuditValue::Kind::kStringList:
      AppendStringList(out, v.string_list());
      break;
    case AuditValue::Kind::kObject: {
      out->push_back('{');
      bool first = true;
      for (const auto& [name, value] : v.members()) {
        if (!first) out->push_back(',');
        first = false;
        AppendJson(out, name);
        out->push_back(':');
        AppendValue(out, value);
      }
      out->push_back('}');
      break;
    }
  }
}

void AppendMember(std::string* out, std::string_view name, std::string_view value) {
  if (value.empty()) return;
  out->push_back(',');
  out->push_back('"');
  out->append(name);
  out->append("\":");
  AppendJson(out, value);
}

void AppendListMember(std::string* out, std::string_view name,
                      const std::vector<std::string>& list) {
  if (list.empty()) return;
  out->push_back(',');
  out->push_back('"');
  out->append(name);
  out->append("\":");
  AppendStringList(out, list);
}

absl::Status MaskValue(const MaskFn& mask, AuditValue* v) {
  switch (v->kind()) {
    case AuditValue::Kind::kString: {
      absl::StatusOr<std::string> m = mask(v->string_value());
      if (!m.ok()) return m.status();
      *v = AuditValue(*std::move(m));
      return absl::OkStatus();
    }
    case AuditValue::Kind::kStringList: {
      std::vector<std::string> list = v->string_list();
      for (std::string& s : list) {
        absl::StatusOr<std::string> m = mask(s);
        if (!m.ok()) return m.status();
        s = *std::move(m);
      }
      *v = AuditValue(std::move(list));
      return absl::OkStatus();
    }
    case AuditValue::Kind::kObject: {
      std::vector<AuditValue::Member> members = v->members();
      for (auto& member : members) {
        if (absl::Status s = MaskValue(mask, &member.second); !s.ok()) return s;
      }
      *v = AuditValue::Object(std::move(members));
      return absl::OkStatus();
    }
    default:
      return absl::OkStatus();
  }
}

absl::Status MaskString(const MaskFn& mask, std::string* s) {
  if (s->empty()) return absl::OkStatus();
  absl::StatusOr<std::string> m = mask(*s);
  if (!m.ok()) return m.status();
  *s = *std::move(m);
  return absl::OkStatus();
}

}  // namespace

absl::Status AuditError(absl::StatusCode code, std::string_view reason, std::string_view message) {
  return MakeError(code, ErrorDomain::kAudit, reason, message);
}

std::string FormatRecordTime(absl::Time t) {
  // Hand-rolled, with the date and time of day cached per thread: absl::FormatTime is several times
  // slower and this runs once per record.
  thread_local int64_t cached_second = INT64_MIN;
  thread_local char cached[20];
  auto put = [](char* buf, int64_t v, int width) {
    for (int i = width - 1; i >= 0; --i) {
      buf[i] = static_cast<char>('0' + v % 10);
      v /= 10;
    }
  };
  const int64_t micros_total = absl::ToUnixMicros(t);
  int64_t second = micros_total / 1000000;
  int64_t micros = micros_total % 1000000;
  if (micros < 0) {
    micros += 1000000;
    second -= 1;
  }
  if (second != cached_second) {
    absl::TimeZone utc = absl::UTCTimeZone();
    absl::CivilSecond cs = absl::ToCivilSecond(absl::FromUnixSeconds(second), utc);
    if (cs.year() < 0 || cs.year() > 9999) {
      return absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", t, utc);
    }
    put(cached, cs.year(), 4);
    cached[4] = '-';
    put(cached + 5, cs.month(), 2);
    cached[7] = '-';
    put(cached + 8, cs.day(), 2);
    cached[10] = 'T';
    put(cached + 11, cs.hour(), 2);
    cached[13] = ':';
    put(cached + 14, cs.minute(), 2);
    cached[16] = ':';
    put(cached + 17, cs.second(), 2);
    cached[19] = '.';
    cached_second = second;
  }
  char buf[27];
  std::memcpy(buf, cached, 20);
  put(buf + 20, micros, 6);
  buf[26] = 'Z';
  return std::string(buf, sizeof(buf));
}

absl::Status ValidateEvent(const AuditEvent& event) {
  if (event.type.empty()) {
    return AuditError(absl::StatusCode::kInvalidArgument, "bad_event", "the event has no type");
  }
  const auto& fields = event.fields;
  for (size_t i = 0; i < fields.size(); ++i) {
    if (fields[i].first.empty() || IsReserved(fields[i].first)) {
      return AuditError(absl::StatusCode::kInvalidArgument, "bad_event",
                        absl::StrCat("field name \"", fields[i].first,
                                     "\" is empty or reserved for the record's own members"));
    }
    for (size_t j = 0; j < i; ++j) {
      if (fields[j].first == fields[i].first) {
        return AuditError(absl::StatusCode::kInvalidArgument, "bad_event",
                          absl::StrCat("field \"", fields[i].first, "\" appears twice"));
      }
    }
    if (absl::Status s = ValidateValue(fields[i].second, 0); !s.ok()) return s;
  }
  return absl::OkStatus();
}

void AppendCanonicalOpen(const AuditEvent& event, uint64_t seq, absl::Time time, std::string* out) {
  out->append("{\"seq\":");
  absl::StrAppend(out, seq);
  out->append(",\"time\":\"");
  out->append(FormatRecordTime(time));
  out->push_back('"');
  out->append(",\"type\":");
  AppendJson(out, event.type);
  AppendMember(out, "session_id", event.session_id);
  AppendMember(out, "request_id", event.request_id);
  AppendMember(out, "subject", event.subject);
  AppendListMember(out, "groups", event.groups);
  AppendMember(out, "gen_ai.request.model", event.model);
  AppendMember(out, "dataset", event.dataset);
  AppendMember(out, "operation", event.operation);
  AppendMember(out, "decision", event.decision);
  AppendListMember(out, "rules", event.rules);
  for (const auto& [name, value] : event.fields) {
    out->push_back(',');
    AppendJson(out, name);
    out->push_back(':');
    AppendValue(out, value);
  }
}

absl::Status MaskEventStrings(const MaskFn& mask, AuditEvent* event) {
  for (std::string* s : {&event->session_id, &event->request_id, &event->subject, &event->model,
                         &event->dataset, &event->operation, &event->decision}) {
    if (absl::Status st = MaskString(mask, s); !st.ok()) return st;
  }
  for (std::vector<std::string>* list : {&event->groups, &event->rules}) {
    for (std::string& s : *list) {
      if (absl::Status st = MaskString(mask, &s); !st.ok()) return st;
    }
  }
  for (auto& field : event->fields) {
    if (absl::Status st = MaskValue(mask, &field.second); !st.ok()) return st;
  }
  return absl::OkStatus();
}

absl::StatusOr<const AuditEvent*> PrepareEvent(const AuditEvent& event, const MaskFn& mask,
                                               std::optional<AuditEvent>* masked) {
  if (absl::Status s = ValidateEvent(event); !s.ok()) return s;
  if (!mask) return &event;
  masked->emplace(event);
  if (absl::Status s = MaskEventStrings(mask, &**masked); !s.ok()) return s;
  return &**masked;
}

}  // namespace audit_internal
}  // namespace jitguard
