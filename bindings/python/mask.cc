// Binding of the masking engine (include/jitguard/mask.h). Thin: it converts arguments, reads its
// input without copying (the UTF-8 form CPython caches for a str, or the buffer of a bytes-like
// object), releases the GIL around every call that scans more than a few bytes, and converts the
// engine's UTF-8 byte offsets into str indices for str input. The friendly API is
// python/jitguard/mask.py.
#include "jitguard/mask.h"

#include <Python.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "bindings/python/convert.h"
#include "bindings/python/module.h"
#include "jitguard/secret.h"

namespace jitguard::python {
namespace {

// Inputs at least this long are scanned with the GIL released; below it the release/re-acquire
// costs more than the scan.
constexpr size_t kReleaseGilBytes = 2048;

// A read-only view of the text of a str (as UTF-8) or of a contiguous bytes-like object. The
// object must outlive the view (it is a function argument, held by the caller).
class TextView {
 public:
  explicit TextView(py::handle obj) {
    PyObject* o = obj.ptr();
    if (PyUnicode_Check(o)) {
      Py_ssize_t size = 0;
      const char* data = PyUnicode_AsUTF8AndSize(o, &size);
      if (data == nullptr) throw py::error_already_set();
      view_ = std::string_view(data, static_cast<size_t>(size));
      is_str_ = true;
      ascii_ = PyUnicode_IS_ASCII(o);
    } else if (PyObject_CheckBuffer(o)) {
      if (PyObject_GetBuffer(o, &buffer_, PyBUF_SIMPLE) != 0) throw py::error_already_set();
      has_buffer_ = true;
      view_ =
          std::string_view(static_cast<const char*>(buffer_.buf), static_cast<size_t>(buffer_.len));
    } else {
      throw py::type_error("expected str or a bytes-like object");
    }
  }
  ~TextView() {
    if (has_buffer_) PyBuffer_Release(&buffer_);
  }
  TextView(const TextView&) = delete;
  TextView& operator=(const TextView&) = delete;

  std::string_view view() const { return view_; }
  bool is_str() const { return is_str_; }
  // A str whose UTF-8 bytes are its code points, so byte offsets are already str indices.
  bool ascii() const { return ascii_; }
  bool large() const { return view_.size() >= kReleaseGilBytes; }

 private:
  std::string_view view_;
  Py_buffer buffer_{};
  bool has_buffer_ = false;
  bool is_str_ = false;
  bool ascii_ = false;
};

// Runs fn with the GIL released when `release` is set.
template <typename Fn>
auto MaybeWithoutGil(bool release, Fn&& fn) {
  if (release) {
    py::gil_scoped_release no_gil;
    return fn();
  }
  return fn();
}

py::object ToStr(std::string_view utf8) {
  PyObject* s = PyUnicode_DecodeUTF8(utf8.data(), static_cast<Py_ssize_t>(utf8.size()), "strict");
  if (s == nullptr) throw py::error_already_set();
  return py::reinterpret_steal<py::object>(s);
}

py::object ToBytes(std::string_view bytes) { return py::bytes(bytes.data(), bytes.size()); }

// The same type as the input: str for str, bytes for any bytes-like object.
py::object Result(const TextView& in, std::string_view out) {
  return in.is_str() ? ToStr(out) : ToBytes(out);
}

// Rewrites byte offsets (ascending starts, non-overlapping) into code point offsets of `text`.
void ByteToCodePointOffsets(std::string_view text, std::vector<Finding>* findings) {
  size_t byte = 0;
  size_t code_point = 0;
  auto advance = [&](size_t to) {
    for (; byte < to && byte < text.size(); ++byte) {
      code_point += (static_cast<unsigned char>(text[byte]) & 0xC0) != 0x80;
    }
    return code_point;
  };
  for (Finding& f : *findings) {
    f.start = advance(f.start);
    f.end = advance(f.end);
  }
}

// Length of the longest prefix of `s` that does not end inside a UTF-8 sequence.
size_t CompleteUtf8Prefix(std::string_view s) {
  const size_t n = s.size();
  for (size_t back = 1; back <= 4 && back <= n; ++back) {
    const unsigned char c = static_cast<unsigned char>(s[n - back]);
    if ((c & 0xC0) == 0x80) continue;  // a continuation byte: look further back
    size_t need = 1;
    if ((c & 0xE0) == 0xC0) {
      need = 2;
    } else if ((c & 0xF0) == 0xE0) {
      need = 3;
    } else if ((c & 0xF8) == 0xF0) {
      need = 4;
    }
    return need > back ? n - back : n;
  }
  return n;
}

py::dict CountsToDict(const FindingCounts& counts) {
  py::dict out;
  for (const auto& [entity, n] : counts) out[py::str(entity)] = n;
  return out;
}

// A stream belongs to one thread, but its calls release the GIL, so two Python threads could
// otherwise enter the same stream at once. This turns that misuse into an exception.
class ExclusiveUse {
 public:
  explicit ExclusiveUse(std::atomic<bool>& busy) : busy_(busy) {
    if (busy_.exchange(true)) {
      throw py::value_error("a mask stream was used from two threads at once");
    }
  }
  ~ExclusiveUse() { busy_.store(false); }
  ExclusiveUse(const ExclusiveUse&) = delete;
  ExclusiveUse& operator=(const ExclusiveUse&) = delete;

 private:
  std::atomic<bool>& busy_;
};

using CustomSpec = std::tuple<std::string, std::string, std::string, std::vector<std::string>>;
using TermSpec = std::pair<std::string, std::vector<std::string>>;

class PyMaskStream {
 public:
  explicit PyMaskStream(std::unique_ptr<MaskStream> stream) : stream_(std::move(stream)) {}

  // str in, str out (never a partial character); bytes in, bytes out.
  py::object Write(py::handle chunk) {
    ExclusiveUse guard(busy_);
    TextView in(chunk);
    std::string out = MaybeWithoutGil(in.large(), [&] { return stream_->Write(in.view()); });
    if (!pending_.empty()) {
      out.insert(0, pending_);
      pending_.clear();
    }
    if (!in.is_str()) return ToBytes(out);
    // The engine may cut its output anywhere; keep an incomplete trailing character for later.
    const size_t complete = CompleteUtf8Prefix(out);
    pending_.assign(out, complete, std::string::npos);
    out.resize(complete);
    return ToStr(out);
  }

  py::object Finish(bool as_str) {
    ExclusiveUse guard(busy_);
    std::string out = pending_ + stream_->Finish();
    pending_.clear();
    return as_str ? ToStr(out) : ToBytes(out);
  }

  py::dict Counts() const { return CountsToDict(stream_->counts()); }
  size_t HeldBytes() const { return stream_->held_bytes() + pending_.size(); }

 private:
  std::unique_ptr<MaskStream> stream_;
  std::string pending_;  // output bytes of a character not yet complete (str streams)
  std::atomic<bool> busy_{false};
};

class PySseStream {
 public:
  explicit PySseStream(std::unique_ptr<ResponseMaskStream> stream) : stream_(std::move(stream)) {}

  py::bytes Write(py::handle chunk) {
    ExclusiveUse guard(busy_);
    TextView in(chunk);
    std::string out =
        Unwrap(MaybeWithoutGil(in.large(), [&] { return stream_->Write(in.view()); }));
    return py::bytes(out);
  }

  py::bytes Finish() {
    ExclusiveUse guard(busy_);
    return py::bytes(Unwrap(stream_->Finish()));
  }

  py::dict Counts() const { return CountsToDict(stream_->counts()); }

  // The masked text sent so far, per choice index.
  py::dict Transcript() const {
    py::dict out;
    for (const auto& [choice, text] : stream_->transcript()) {
      out[py::int_(choice)] = py::str(PyUnicode_DecodeUTF8(text.data(), static_cast<Py_ssize_t>(text.size()), "replace"), false);
    }
    return out;
  }

 private:
  std::unique_ptr<ResponseMaskStream> stream_;
  std::atomic<bool> busy_{false};
};

class PyMasker {
 public:
  const std::shared_ptr<const Masker>& masker() const { return masker_; }

  static PyMasker Create(std::optional<std::vector<std::string>> entities, const std::string& style,
                         std::optional<py::bytes> hash_key, const std::vector<CustomSpec>& custom,
                         const std::vector<TermSpec>& terms, std::vector<std::string> json_keys,
                         std::vector<std::string> allowlist, std::optional<size_t> max_held_bytes) {
    MaskerOptions options;
    options.entities = std::move(entities);
    options.style = Unwrap(ParseMaskStyle(style));
    if (hash_key.has_value()) {
      char* data = nullptr;
      Py_ssize_t size = 0;
      if (PyBytes_AsStringAndSize(hash_key->ptr(), &data, &size) != 0) {
        throw py::error_already_set();
      }
      options.hash_key = SecretBytes(std::string_view(data, static_cast<size_t>(size)));
    }
    for (const auto& [name, regex, validator, context] : custom) {
      options.custom.push_back(CustomRule{.name = name,
                                          .regex = regex,
                                          .validator = Unwrap(ParseValidator(validator)),
                                          .context_words = context});
    }
    for (const auto& [name, list] : terms) {
      options.terms.push_back(TermList{.name = name, .terms = list});
    }
    options.json_keys = std::move(json_keys);
    options.allowlist = std::move(allowlist);
    if (max_held_bytes.has_value()) options.max_held_bytes = *max_held_bytes;
    // Compiling large term lists takes a while.
    absl::StatusOr<std::shared_ptr<const Masker>> created = [&] {
      py::gil_scoped_release no_gil;
      return Masker::Create(std::move(options));
    }();
    return PyMasker(Unwrap(std::move(created)));
  }

  py::object Mask(py::handle text) const {
    TextView in(text);
    std::string out = MaybeWithoutGil(in.large(), [&] {
      std::string masked;
      masked.reserve(in.view().size() + 64);
      masker_->MaskAppend(in.view(), &masked);
      return masked;
    });
    return Result(in, out);
  }

  std::pair<py::object, py::dict> MaskWithCounts(py::handle text) const {
    TextView in(text);
    FindingCounts counts;
    std::string out = MaybeWithoutGil(in.large(), [&] {
      std::string masked;
      masked.reserve(in.view().size() + 64);
      masker_->MaskAppend(in.view(), &masked, &counts);
      return masked;
    });
    return {Result(in, out), CountsToDict(counts)};
  }

  // (entity, start, end, rule) tuples; str indices for str input, byte offsets otherwise.
  py::list Find(py::handle text) const {
    TextView in(text);
    std::vector<Finding> findings = MaybeWithoutGil(in.large(), [&] {
      std::vector<Finding> found = masker_->Find(in.view());
      if (in.is_str() && !in.ascii()) ByteToCodePointOffsets(in.view(), &found);
      return found;
    });
    py::list out(findings.size());
    for (size_t i = 0; i < findings.size(); ++i) {
      const Finding& f = findings[i];
      out[i] = py::make_tuple(f.entity, f.start, f.end, f.rule);
    }
    return out;
  }

  std::pair<py::object, py::dict> MaskJson(py::handle doc) const {
    TextView in(doc);
    FindingCounts counts;
    absl::StatusOr<std::string> out =
        MaybeWithoutGil(in.large(), [&] { return masker_->MaskJson(in.view(), &counts); });
    return {Result(in, Unwrap(std::move(out))), CountsToDict(counts)};
  }

  // Best wall time in seconds of `reps` calls of the C++ MaskAppend on `text` (into a reused
  // buffer, as the C++ benchmark does), measured inside the extension: the baseline that the
  // Python overhead of mask() is measured against (bench/compare/masking.py --python-overhead).
  double BenchMask(py::handle text, int reps) const {
    TextView in(text);
    py::gil_scoped_release no_gil;
    std::string out;
    out.reserve(in.view().size() + 64);
    double best = 1e300;
    for (int i = 0; i < std::max(reps, 1); ++i) {
      out.clear();
      const auto t0 = std::chrono::steady_clock::now();
      masker_->MaskAppend(in.view(), &out);
      const std::chrono::duration<double> dt = std::chrono::steady_clock::now() - t0;
      best = std::min(best, dt.count());
    }
    return best;
  }

  std::unique_ptr<PyMaskStream> Stream() const {
    return std::make_unique<PyMaskStream>(masker_->NewStream());
  }
  // framing: "sse" | "ndjson" | "json".
  std::unique_ptr<PySseStream> ResponseStream(const std::string& framing) const {
    ResponseFraming f = ResponseFraming::kSse;
    if (framing == "ndjson") f = ResponseFraming::kNdjson;
    else if (framing == "json") f = ResponseFraming::kJson;
    else if (framing != "sse") throw py::value_error("framing: sse, ndjson or json");
    return std::make_unique<PySseStream>(masker_->NewResponseStream(f));
  }
  std::vector<std::string> Entities() const { return masker_->Entities(); }
  std::string Style() const { return std::string(MaskStyleName(masker_->style())); }
  size_t MaxHeldBytes() const { return masker_->max_held_bytes(); }

 private:
  explicit PyMasker(std::shared_ptr<const Masker> masker) : masker_(std::move(masker)) {}
  std::shared_ptr<const Masker> masker_;
};

}  // namespace

std::shared_ptr<const Masker> MaskerFromPython(py::handle obj) {
  if (!py::isinstance<PyMasker>(obj)) return nullptr;
  return obj.cast<const PyMasker&>().masker();
}

JITGUARD_PY_PART(mask, 10) {
  m.def(
      "request_prompt_text",
      [](const py::bytes& body) {
        std::string_view in = body;
        return Unwrap(RequestPromptText(in));
      },
      py::arg("body"));
  m.def("builtin_entities", [] {
    std::vector<std::string> out;
    for (std::string_view name : BuiltinEntities()) out.emplace_back(name);
    return out;
  });

  py::class_<PyMaskStream>(m, "MaskStream")
      .def("write", &PyMaskStream::Write, py::arg("chunk"))
      .def("finish", &PyMaskStream::Finish, py::arg("as_str"))
      .def("counts", &PyMaskStream::Counts)
      .def_property_readonly("held_bytes", &PyMaskStream::HeldBytes);

  py::class_<PySseStream>(m, "SseMaskStream")
      .def("write", &PySseStream::Write, py::arg("chunk"))
      .def("finish", &PySseStream::Finish)
      .def("counts", &PySseStream::Counts)
      .def("transcript", &PySseStream::Transcript);

  py::class_<PyMasker>(m, "Masker")
      .def_static("create", &PyMasker::Create, py::arg("entities"), py::arg("style"),
                  py::arg("hash_key"), py::arg("custom"), py::arg("terms"), py::arg("json_keys"),
                  py::arg("allowlist"), py::arg("max_held_bytes"))
      .def("mask", &PyMasker::Mask, py::arg("text"))
      .def("mask_with_counts", &PyMasker::MaskWithCounts, py::arg("text"))
      .def("find", &PyMasker::Find, py::arg("text"))
      .def("mask_json", &PyMasker::MaskJson, py::arg("doc"))
      .def("_bench_mask", &PyMasker::BenchMask, py::arg("text"), py::arg("reps"))
      .def("stream", &PyMasker::Stream)
      .def("response_stream", &PyMasker::ResponseStream, py::arg("framing"))
      .def("entities", &PyMasker::Entities)
      .def_property_readonly("style", &PyMasker::Style)
      .def_property_readonly("max_held_bytes", &PyMasker::MaxHeldBytes);
}

}  // namespace jitguard::python
