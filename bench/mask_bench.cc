// Masking throughput over generated corpora, with a memcpy baseline in the same run.
//
//   build/<dir>/bench/jitguard_mask_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// Corpora (8 MiB each, deterministic): clean prose with numbers, dates, code and no PII (a token
// with a digit or other trigger byte about every 86 bytes); PII-dense text (a finding about every
// 200 bytes); JSON records (one per line, strings with PII); logs; sparse prose (a number, date or
// code token about every 50 words).
// Mask is one-shot; Stream/<chunk> feeds the same bytes through a MaskStream in chunks of 1, 16,
// 64 or 4096 bytes (the string-returning Write); StreamAppend/<chunk> uses Write(chunk, &out) into
// a reused buffer. JITGUARD_SIMD=avx2|sse42|scalar forces the kernels' implementation.
//
// Instruction counts (deterministic, unlike times on a shared machine), e.g. one pass of the
// stream at 64 bytes over clean prose:
//   valgrind --tool=callgrind --toggle-collect='jitguard::mask::(anonymous namespace)::MaskStreamImpl::Write(std::basic_string_view<char, std::char_traits<char> >, std::__cxx11::basic_string<char, std::char_traits<char>, std::allocator<char> >*)'
//       build/release/bench/jitguard_mask_bench --benchmark_filter='BM_StreamAppend/0/64$'
//       --benchmark_min_time=0
// and --toggle-collect='jitguard::Masker::Impl::Scan(*' with BM_Mask/0 for one-shot.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "jitguard/mask.h"
#include "tests/cpp/mask/corpus.h"

namespace {

using jitguard::mask::testing::CorpusGenerator;

constexpr size_t kCorpusBytes = 8 << 20;

const std::string& Clean() {
  static const std::string s = CorpusGenerator(1).Generate(kCorpusBytes, 0).text;
  return s;
}

// Prose with a number, date or code token about every 50 words.
const std::string& SparseProse() {
  static const std::string s =
      CorpusGenerator(5).set_technical_one_in(50).Generate(kCorpusBytes, 0).text;
  return s;
}

const std::string& Dense() {
  static const std::string s = CorpusGenerator(2).Generate(kCorpusBytes, 200).text;
  return s;
}

std::string JsonEscape(std::string_view in) {
  std::string out;
  for (char c : in) {
    if (c == '"' || c == '\\') {
      out.push_back('\\');
      out.push_back(c);
    } else if (c == '\n') {
      out += "\\n";
    } else {
      out.push_back(c);
    }
  }
  return out;
}

const std::string& JsonRecords() {
  static const std::string s = [] {
    CorpusGenerator gen(3);
    std::string out;
    int id = 0;
    while (out.size() < kCorpusBytes) {
      ++id;
      out += R"({"id":)" + std::to_string(id) + R"(,"user":{"name":"user)" + std::to_string(id) +
             R"(","email":")" + gen.Email() + R"(","phone":")" + gen.Phone() + R"("},"amount":)" +
             std::to_string(id % 977) + R"(.25,"tags":["a","b"],"note":")" +
             JsonEscape(gen.Generate(160, id % 3 == 0 ? 80 : 0).text) + "\"}\n";
    }
    return out;
  }();
  return s;
}

const std::string& Logs() {
  static const std::string s = [] {
    CorpusGenerator gen(4);
    std::string out;
    int n = 0;
    while (out.size() < kCorpusBytes) {
      ++n;
      out += "2024-05-0" + std::to_string(1 + n % 9) + "T12:" + std::to_string(10 + n % 50) +
             ":07.123Z INFO request_id=" + std::to_string(100000 + n) +
             " method=GET path=/api/v1/items/" + std::to_string(n % 1000) +
             " status=200 latency_ms=" + std::to_string(n % 300);
      if (n % 10 == 0) out += " client=" + gen.Ipv4();
      if (n % 25 == 0) out += " user=" + gen.Email();
      out += "\n";
    }
    return out;
  }();
  return s;
}

const std::string& Corpus(int which) {
  switch (which) {
    case 0:
      return Clean();
    case 1:
      return Dense();
    case 2:
      return JsonRecords();
    case 3:
      return Logs();
    default:
      return SparseProse();
  }
}

const char* kNames[] = {"clean_prose", "pii_dense", "json_records", "logs", "sparse_prose"};

std::shared_ptr<const jitguard::Masker> DefaultMasker() {
  static const auto m = *jitguard::Masker::Create({});
  return m;
}

void BM_Memcpy(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  std::string out(text.size(), '\0');
  for (auto _ : state) {
    std::memcpy(out.data(), text.data(), text.size());
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(kNames[state.range(0)]);
}

void BM_Mask(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  const auto m = DefaultMasker();
  std::string out;
  out.reserve(text.size() + 1024);
  for (auto _ : state) {
    out.clear();
    m->MaskAppend(text, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(kNames[state.range(0)]);
}

void BM_Stream(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  const size_t chunk = static_cast<size_t>(state.range(1));
  const auto m = DefaultMasker();
  for (auto _ : state) {
    auto s = m->NewStream();
    size_t total = 0;
    for (size_t i = 0; i < text.size(); i += chunk) {
      total += s->Write(std::string_view(text).substr(i, chunk)).size();
    }
    total += s->Finish().size();
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(kNames[state.range(0)]);
}

// The same through the appending Write(chunk, out) into one reused output buffer (what a server
// sending each piece and clearing its buffer does).
void BM_StreamAppend(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  const size_t chunk = static_cast<size_t>(state.range(1));
  const auto m = DefaultMasker();
  std::string out;
  for (auto _ : state) {
    auto s = m->NewStream();
    size_t total = 0;
    for (size_t i = 0; i < text.size(); i += chunk) {
      out.clear();
      s->Write(std::string_view(text).substr(i, chunk), &out);
      total += out.size();
    }
    total += s->Finish().size();
    benchmark::DoNotOptimize(total);
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(kNames[state.range(0)]);
}

void BM_MaskJson(benchmark::State& state) {
  // The JSON corpus as one document per record.
  const std::string& lines = JsonRecords();
  const auto m = DefaultMasker();
  size_t bytes = 0;
  for (auto _ : state) {
    size_t pos = 0;
    while (pos < lines.size()) {
      const size_t end = lines.find('\n', pos);
      auto r = m->MaskJson(std::string_view(lines).substr(pos, end - pos));
      benchmark::DoNotOptimize(r);
      bytes += end - pos + 1;
      pos = end + 1;
    }
  }
  state.SetBytesProcessed(static_cast<int64_t>(bytes));
}

void BM_TermsAndCustom(benchmark::State& state) {
  // Clean prose with 100k terms and two custom rules on top of every built-in.
  static const auto m = [] {
    jitguard::MaskerOptions o;
    jitguard::TermList list{.name = "CODENAME"};
    for (int i = 0; i < 100000; ++i) list.terms.push_back("codename" + std::to_string(i));
    o.terms.push_back(std::move(list));
    o.custom.push_back({.name = "EMPLOYEE_ID", .regex = R"(EMP-\d{6})"});
    o.custom.push_back({.name = "TICKET", .regex = R"(TCK-[0-9]{4,8})"});
    return *jitguard::Masker::Create(o);
  }();
  const std::string& text = Clean();
  std::string out;
  for (auto _ : state) {
    out.clear();
    m->MaskAppend(text, &out);
    benchmark::DoNotOptimize(out.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
}

BENCHMARK(BM_Memcpy)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mask)->DenseRange(0, 4)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Stream)->ArgsProduct({{0, 1, 2, 3, 4}, {1, 16, 64, 4096}})->Unit(benchmark::kMillisecond);
BENCHMARK(BM_StreamAppend)
    ->ArgsProduct({{0, 1, 2, 3, 4}, {1, 16, 64, 4096}})
    ->Unit(benchmark::kMillisecond);
BENCHMARK(BM_MaskJson)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_TermsAndCustom)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
