// Binding of the audit sinks, verification and replay. Conversion only; the friendly API is
// python/jitguard/audit.py. Writes and verification run with the GIL released; the callback sink
// takes the GIL back only to call into Python.
#include "jitguard/audit.h"

#include <pybind11/functional.h>
#include <pybind11/stl.h>

#include <cmath>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/strings/str_cat.h"
#include "bindings/python/convert.h"
#include "bindings/python/module.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"

namespace jitguard::python {

py::object AuditValueToPython(const AuditValue& v);

namespace {

absl::Status BadEvent(const std::string& message) {
  return MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kAudit, "bad_event", message);
}

std::string ToStr(const py::handle& h) { return h.cast<std::string>(); }

std::vector<std::string> ToStringList(const py::handle& v, const std::string& name) {
  std::vector<std::string> out;
  for (py::handle item : v) {
    if (!py::isinstance<py::str>(item)) {
      throw StatusError(BadEvent(absl::StrCat("field '", name, "': lists must hold only str")));
    }
    out.push_back(ToStr(item));
  }
  return out;
}

AuditValue ToValue(const py::handle& v, const std::string& name, int depth) {
  if (depth > 8) throw StatusError(BadEvent("fields nest too deep"));
  if (v.is_none()) return AuditValue();
  if (py::isinstance<py::bool_>(v)) return AuditValue(v.cast<bool>());
  if (py::isinstance<py::int_>(v)) return AuditValue(v.cast<long long>());
  if (py::isinstance<py::float_>(v)) return AuditValue(v.cast<double>());
  if (py::isinstance<py::str>(v)) return AuditValue(ToStr(v));
  if (py::isinstance<py::list>(v) || py::isinstance<py::tuple>(v)) {
    return AuditValue(ToStringList(v, name));
  }
  if (py::isinstance<py::dict>(v)) {
    std::vector<AuditValue::Member> members;
    for (auto [k, item] : v.cast<py::dict>()) {
      if (!py::isinstance<py::str>(k))
        throw StatusError(BadEvent("object member names must be str"));
      members.emplace_back(ToStr(k), ToValue(item, name, depth + 1));
    }
    return AuditValue::Object(std::move(members));
  }
  throw StatusError(BadEvent(absl::StrCat(
      "field '", name, "': values must be None, bool, int, float, str, a list of str or a dict")));
}

// dict -> AuditEvent. "time" must already be None or float seconds (audit.py converts datetimes).
AuditEvent ToEvent(const py::dict& d) {
  AuditEvent e;
  for (const auto& item : d) {
    // Named handles rather than a structured binding: clang before 16 (clang-tidy included) cannot
    // capture a structured binding in a lambda.
    const py::handle k = item.first;
    const py::handle v = item.second;
    if (!py::isinstance<py::str>(k)) throw StatusError(BadEvent("event keys must be str"));
    std::string key = ToStr(k);
    auto str = [&]() -> std::string {
      if (v.is_none()) return "";
      if (!py::isinstance<py::str>(v))
        throw StatusError(BadEvent(absl::StrCat("'", key, "' must be str")));
      return ToStr(v);
    };
    if (key == "type") {
      e.type = str();
    } else if (key == "time") {
      if (!v.is_none()) {
        double seconds = v.cast<double>();
        if (!std::isfinite(seconds)) throw StatusError(BadEvent("'time' must be finite"));
        e.time = absl::FromUnixMicros(static_cast<int64_t>(std::llround(seconds * 1e6)));
      }
    } else if (key == "session_id") {
      e.session_id = str();
    } else if (key == "request_id") {
      e.request_id = str();
    } else if (key == "subject") {
      e.subject = str();
    } else if (key == "model" || key == "gen_ai.request.model") {
      e.model = str();
    } else if (key == "dataset") {
      e.dataset = str();
    } else if (key == "operation") {
      e.operation = str();
    } else if (key == "decision") {
      e.decision = str();
    } else if (key == "groups") {
      if (!v.is_none()) e.groups = ToStringList(v, key);
    } else if (key == "rules") {
      if (!v.is_none()) e.rules = ToStringList(v, key);
    } else {
      e.fields.emplace_back(key, ToValue(v, key, 0));
    }
  }
  return e;
}

// AuditEvent -> dict with the record's member names (time as RFC 3339 text).
py::dict FromEvent(const AuditEvent& e) {
  py::dict d;
  d["type"] = e.type;
  d["time"] = absl::FormatTime("%Y-%m-%d%ET%H:%M:%E6SZ", e.time, absl::UTCTimeZone());
  auto put = [&d](const char* key, const std::string& s) {
    if (!s.empty()) d[key] = s;
  };
  put("session_id", e.session_id);
  put("request_id", e.request_id);
  put("subject", e.subject);
  if (!e.groups.empty()) d["groups"] = e.groups;
  put("gen_ai.request.model", e.model);
  put("dataset", e.dataset);
  put("operation", e.operation);
  put("decision", e.decision);
  if (!e.rules.empty()) d["rules"] = e.rules;
  for (const auto& [name, value] : e.fields) d[py::str(name)] = AuditValueToPython(value);
  return d;
}

// A Python object whose last reference may be dropped on a thread without the GIL.
struct GilObject {
  explicit GilObject(py::object o) : obj(std::move(o)) {}
  ~GilObject() {
    try {
      py::gil_scoped_acquire gil;
      obj = py::object();
    } catch (...) {
      // No Python thread state could be made for this thread: leak the reference rather than
      // drop it without the GIL or throw out of a destructor.
      obj.release();
    }
  }
  py::object obj;
};

absl::Status CallbackFailed(const py::error_already_set& e) {
  // The exception's type only: its message may hold event contents.
  std::string type = py::str(e.type().attr("__name__"));
  return MakeError(absl::StatusCode::kUnavailable, ErrorDomain::kAudit, "callback_failed",
                   absl::StrCat("the audit callback raised ", type));
}

std::function<absl::Status()> WrapNullary(const py::object& fn) {
  if (fn.is_none()) return nullptr;
  auto holder = std::make_shared<GilObject>(fn);
  return [holder]() -> absl::Status {
    py::gil_scoped_acquire gil;
    try {
      holder->obj();
    } catch (py::error_already_set& e) {
      return CallbackFailed(e);
    }
    return absl::OkStatus();
  };
}

SecretBytes ToKey(const py::object& key) {
  if (key.is_none()) return SecretBytes();
  if (py::isinstance<py::bytes>(key)) return SecretBytes(key.cast<std::string>());
  if (py::isinstance<py::str>(key)) return SecretBytes(key.cast<std::string>());
  throw py::type_error("hmac_key must be bytes, str or None");
}

FsyncPolicy ToFsync(const std::string& name) {
  if (name == "always") return FsyncPolicy::kAlways;
  if (name == "batch") return FsyncPolicy::kBatch;
  if (name == "never") return FsyncPolicy::kNever;
  throw StatusError(MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig,
                              "bad_option", "fsync must be \"always\", \"batch\" or \"never\""));
}

// The sink's masker when masking is on: `spec` is None (the default masker, or the default
// entities in `style`), a list of entity names with `style`, or a jitguard._core.Masker used as is.
std::shared_ptr<const Masker> ToMasker(const py::object& spec, const std::string& style) {
  if (std::shared_ptr<const Masker> given = MaskerFromPython(spec)) return given;
  if (spec.is_none() && style == "label") return nullptr;  // the sinks' shared default masker
  MaskerOptions o;
  if (!spec.is_none()) o.entities = spec.cast<std::vector<std::string>>();
  o.style = Unwrap(ParseMaskStyle(style));
  return Unwrap(Masker::Create(std::move(o)));
}

std::optional<AuditCheckpoint> ToCheckpoint(const py::object& cp) {
  if (cp.is_none()) return std::nullopt;
  if (py::isinstance<py::str>(cp)) return Unwrap(AuditCheckpoint::Parse(cp.cast<std::string>()));
  py::tuple t = cp.cast<py::tuple>();
  if (t.size() != 2) throw py::type_error("checkpoint must be (records, head) or \"records:head\"");
  AuditCheckpoint out;
  out.records = t[0].cast<uint64_t>();
  out.head = t[1].cast<std::string>();
  // Validate the head through the parser.
  return Unwrap(AuditCheckpoint::Parse(out.ToString()));
}

py::dict ResultToDict(const AuditVerifyResult& r) {
  py::dict d;
  d["ok"] = r.ok;
  d["records"] = r.records;
  d["first_bad"] = r.first_bad == 0 ? py::object(py::none()) : py::object(py::int_(r.first_bad));
  d["reason"] = r.reason;
  d["torn_tail"] = r.torn_tail;
  d["file"] = r.file;
  d["head"] = py::make_tuple(r.head.records, r.head.head);
  return d;
}

struct PySink {
  std::shared_ptr<AuditSink> sink;
  FileAuditSink* file = nullptr;
  PostgresAuditSink* postgres = nullptr;
  AsyncAuditSink* async = nullptr;

  // gil_scoped_release throws only while pybind11 first creates its internals, which importing
  // the module has done. NOLINTNEXTLINE(bugprone-exception-escape): cannot throw here, see above
  ~PySink() {
    // The last reference may close an async sink whose writer thread needs the GIL for a callback.
    if (sink && PyGILState_Check()) {
      py::gil_scoped_release nogil;
      sink.reset();
    }
  }

  void Write(const py::dict& event) {
    AuditEvent e = ToEvent(event);
    absl::Status s;
    {
      py::gil_scoped_release nogil;
      s = sink->Write(e);
    }
    ThrowIfError(s);
  }
  void Flush() {
    absl::Status s;
    {
      py::gil_scoped_release nogil;
      s = sink->Flush();
    }
    ThrowIfError(s);
  }
  void Close() {
    absl::Status s;
    {
      py::gil_scoped_release nogil;
      s = sink->Close();
    }
    ThrowIfError(s);
  }
  py::tuple Checkpoint() {
    AuditCheckpoint cp;
    if (file != nullptr) {
      cp = file->Checkpoint();
    } else if (postgres != nullptr) {
      cp = postgres->Checkpoint();
    } else {
      throw py::type_error("this sink has no checkpoint");
    }
    return py::make_tuple(cp.records, cp.head);
  }
  py::dict Counters() {
    if (async == nullptr) throw py::type_error("only AsyncAuditSink has counters");
    AuditSinkCounters c = async->Counters();
    py::dict d;
    d["queue_depth"] = c.queue_depth;
    d["written"] = c.written;
    d["errors"] = c.errors;
    return d;
  }
};

struct PyReader {
  std::unique_ptr<AuditLogReader> reader;
  std::optional<std::string> Next() {
    std::string record;
    absl::StatusOr<bool> more;
    {
      py::gil_scoped_release nogil;
      more = reader->Next(&record);
    }
    if (!Unwrap(std::move(more))) return std::nullopt;
    return record;
  }
};

}  // namespace

// An audit field value as a Python object (shared with the grant binding's callback sink).
py::object AuditValueToPython(const AuditValue& v) {
  switch (v.kind()) {
    case AuditValue::Kind::kNull:
      return py::none();
    case AuditValue::Kind::kString:
      return py::str(v.string_value());
    case AuditValue::Kind::kInt:
      return py::int_(v.int_value());
    case AuditValue::Kind::kDouble:
      return py::float_(v.double_value());
    case AuditValue::Kind::kBool:
      return py::bool_(v.bool_value());
    case AuditValue::Kind::kStringList:
      return py::cast(v.string_list());
    case AuditValue::Kind::kObject: {
      py::dict d;
      for (const auto& [name, value] : v.members()) d[py::str(name)] = AuditValueToPython(value);
      return d;
    }
  }
  return py::none();
}

// The C++ sink behind a jitguard._core.AuditSink (e.g. a callback sink handed to the Guard).
std::shared_ptr<AuditSink> AuditSinkOf(const py::handle& sink) { return sink.cast<PySink&>().sink; }

JITGUARD_PY_PART(audit, 60) {
  py::class_<PySink>(m, "AuditSink")
      .def("write", &PySink::Write, py::arg("event"))
      .def("flush", &PySink::Flush)
      .def("close", &PySink::Close)
      .def("checkpoint", &PySink::Checkpoint)
      .def("counters", &PySink::Counters)
      .def_property_readonly("name", [](const PySink& s) { return std::string(s.sink->Name()); });

  m.def(
      "open_file_audit_sink",
      [](const std::string& path, const py::object& hmac_key, const std::string& fsync,
         double batch_interval, size_t batch_records, uint64_t max_file_bytes, bool masking,
         const py::object& mask_spec, const std::string& mask_style) {
        FileAuditSinkOptions o;
        o.hmac_key = ToKey(hmac_key);
        o.fsync = ToFsync(fsync);
        o.batch_interval = absl::Seconds(batch_interval);
        o.batch_records = batch_records;
        o.max_file_bytes = max_file_bytes;
        o.masking = masking ? AuditMasking::kOn : AuditMasking::kOff;
        if (masking) o.masker = ToMasker(mask_spec, mask_style);
        absl::StatusOr<std::unique_ptr<FileAuditSink>> sink;
        {
          py::gil_scoped_release nogil;
          sink = FileAuditSink::Open(path, std::move(o));
        }
        auto out = std::make_unique<PySink>();
        out->file = Unwrap(std::move(sink)).release();
        out->sink.reset(out->file);
        return out;
      },
      py::arg("path"), py::arg("hmac_key"), py::arg("fsync"), py::arg("batch_interval"),
      py::arg("batch_records"), py::arg("max_file_bytes"), py::arg("masking"), py::arg("mask_spec"),
      py::arg("mask_style"));

  m.def(
      "open_postgres_audit_sink",
      [](const std::string& dsn, const std::string& table, const std::string& writer_id,
         const py::object& hmac_key, size_t batch_records, bool masking,
         const py::object& mask_spec, const std::string& mask_style) {
        PostgresAuditSinkOptions o;
        o.table = table;
        o.writer_id = writer_id;
        o.hmac_key = ToKey(hmac_key);
        o.batch_records = batch_records;
        o.masking = masking ? AuditMasking::kOn : AuditMasking::kOff;
        if (masking) o.masker = ToMasker(mask_spec, mask_style);
        absl::StatusOr<std::unique_ptr<PostgresAuditSink>> sink;
        {
          py::gil_scoped_release nogil;
          sink = PostgresAuditSink::Open(dsn, std::move(o));
        }
        auto out = std::make_unique<PySink>();
        out->postgres = Unwrap(std::move(sink)).release();
        out->sink.reset(out->postgres);
        return out;
      },
      py::arg("dsn"), py::arg("table"), py::arg("writer_id"), py::arg("hmac_key"),
      py::arg("batch_records"), py::arg("masking"), py::arg("mask_spec"), py::arg("mask_style"));

  m.def(
      "new_async_audit_sink",
      [](const PySink& inner, size_t capacity, const std::string& on_full, double full_timeout) {
        AsyncAuditSinkOptions o;
        o.capacity = capacity;
        if (on_full == "block") {
          o.on_full = QueueFullPolicy::kBlock;
        } else if (on_full == "error") {
          o.on_full = QueueFullPolicy::kError;
        } else {
          throw StatusError(MakeError(absl::StatusCode::kInvalidArgument, ErrorDomain::kConfig,
                                      "bad_option", "on_full must be \"block\" or \"error\""));
        }
        o.full_timeout = absl::Seconds(full_timeout);
        auto out = std::make_unique<PySink>();
        out->async = Unwrap(AsyncAuditSink::Create(inner.sink, o)).release();
        out->sink.reset(out->async);
        return out;
      },
      py::arg("inner"), py::arg("capacity"), py::arg("on_full"), py::arg("full_timeout"));

  m.def(
      "new_tee_sink",
      [](const std::vector<PySink*>& sinks) {
        std::vector<std::shared_ptr<AuditSink>> inner;
        inner.reserve(sinks.size());
        for (PySink* s : sinks) inner.push_back(s->sink);
        auto out = std::make_unique<PySink>();
        out->sink = Unwrap(NewTeeSink(std::move(inner)));
        return out;
      },
      py::arg("sinks"));

  m.def(
      "new_callback_sink",
      [](py::function write, const py::object& flush, const py::object& close) {
        auto holder = std::make_shared<GilObject>(std::move(write));
        auto fn = [holder](const AuditEvent& e) -> absl::Status {
          py::gil_scoped_acquire gil;
          try {
            holder->obj(FromEvent(e));
          } catch (py::error_already_set& err) {
            return CallbackFailed(err);
          }
          return absl::OkStatus();
        };
        auto out = std::make_unique<PySink>();
        out->sink = Unwrap(NewCallbackSink(fn, WrapNullary(flush), WrapNullary(close)));
        return out;
      },
      py::arg("write"), py::arg("flush") = py::none(), py::arg("close") = py::none());

  m.def(
      "verify_audit_log",
      [](const std::string& path, const py::object& hmac_key, const py::object& checkpoint) {
        SecretBytes key = ToKey(hmac_key);
        std::optional<AuditCheckpoint> cp = ToCheckpoint(checkpoint);
        absl::StatusOr<AuditVerifyResult> r;
        {
          py::gil_scoped_release nogil;
          r = VerifyAuditLog(path, key, cp);
        }
        return ResultToDict(Unwrap(std::move(r)));
      },
      py::arg("path"), py::arg("hmac_key"), py::arg("checkpoint"));

  m.def(
      "verify_audit_files",
      [](const std::vector<std::string>& files, const py::object& hmac_key,
         const py::object& checkpoint) {
        SecretBytes key = ToKey(hmac_key);
        std::optional<AuditCheckpoint> cp = ToCheckpoint(checkpoint);
        absl::StatusOr<AuditVerifyResult> r;
        {
          py::gil_scoped_release nogil;
          r = VerifyAuditFiles(files, key, cp);
        }
        return ResultToDict(Unwrap(std::move(r)));
      },
      py::arg("files"), py::arg("hmac_key"), py::arg("checkpoint"));

  m.def(
      "verify_audit_table",
      [](const std::string& dsn, const std::string& table, const py::object& hmac_key) {
        SecretBytes key = ToKey(hmac_key);
        absl::StatusOr<AuditTableVerifyResult> r;
        {
          py::gil_scoped_release nogil;
          r = VerifyAuditTable(dsn, table, key);
        }
        AuditTableVerifyResult res = Unwrap(std::move(r));
        py::dict d;
        d["ok"] = res.ok;
        d["records"] = res.records;
        py::dict writers;
        for (const auto& w : res.writers) writers[py::str(w.writer_id)] = ResultToDict(w.result);
        d["writers"] = writers;
        return d;
      },
      py::arg("dsn"), py::arg("table"), py::arg("hmac_key"));

  m.def(
      "audit_log_files", [](const std::string& path) { return Unwrap(AuditLogFiles(path)); },
      py::arg("path"));

  py::class_<PyReader>(m, "AuditLogReader").def("next", &PyReader::Next);
  m.def(
      "open_audit_log_reader",
      [](const std::string& path, std::optional<std::string> session_id) {
        auto out = std::make_unique<PyReader>();
        out->reader = Unwrap(AuditLogReader::Open(path, std::move(session_id)));
        return out;
      },
      py::arg("path"), py::arg("session_id"));
}

}  // namespace jitguard::python
