// The cost of matching through the folded view (lib/text/fold.h), with a memcpy baseline.
//
//   build/<dir>/bench/jitguard_unicode_bench --benchmark_repetitions=3
//       --benchmark_report_aggregates_only=true
//
// Corpora (8 MiB each, deterministic; the generator of bench/mask_bench.cc):
//   ascii_prose     clean prose with its non-ASCII words removed: the fast path (one vector pass
//                   decides the text folds to itself, then the byte scan as before);
//   mixed_prose     bench/mask_bench.cc's clean_prose (café, naïve, 日本語, ... about one code
//                   point in 400 bytes, none changed by folding): still the byte scan;
//   obfuscated_pii  PII-dense text with 30% of its characters replaced by fullwidth, Cyrillic,
//                   other-script digits, Unicode spaces and dashes, and a zero-width character or
//                   combining mark after 5% of them: the folded path;
//   cyrillic        Russian-like prose (many letters fold to Latin look-alikes): the folded path.
// Fold/<corpus> is the folding alone; Mask/<corpus> is Masker::MaskAppend.
#include <benchmark/benchmark.h>

#include <cstring>
#include <string>

#include "jitguard/mask.h"
#include "lib/text/fold.h"
#include "tests/cpp/mask/corpus.h"
#include "tests/cpp/mask/unicode_obfuscation.h"

namespace {

using jitguard::mask::testing::CorpusGenerator;
using jitguard::mask::testing::Obfuscator;

constexpr size_t kCorpusBytes = 8 << 20;

std::string AsciiOnly(const std::string& s) {
  std::string out;
  for (char c : s) {
    if (static_cast<unsigned char>(c) < 0x80) out.push_back(c);
  }
  return out;
}

std::string Cyrillic() {
  static const char* kWords[] = {"привет", "отчёт", "данные", "клиент", "строка", "модель",
                                 "результат", "компания", "запрос", "ответ", "и", "в", "на"};
  std::string out;
  uint64_t x = 1;
  while (out.size() < kCorpusBytes) {
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    out += kWords[(x >> 33) % std::size(kWords)];
    out += (x >> 20) % 12 == 0 ? ".\n" : " ";
  }
  return out;
}

const std::string& Corpus(int which) {
  static const std::string corpora[] = {
      AsciiOnly(CorpusGenerator(1).Generate(kCorpusBytes, 0).text),
      CorpusGenerator(1).Generate(kCorpusBytes, 0).text,
      Obfuscator(3, 0.3, 0.05).Obfuscate(CorpusGenerator(2).Generate(kCorpusBytes / 2, 200).text),
      Cyrillic(),
  };
  return corpora[which];
}

const char* kNames[] = {"ascii_prose", "mixed_prose", "obfuscated_pii", "cyrillic"};

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

void BM_Fold(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  jitguard::text::FoldedView view;
  for (auto _ : state) {
    jitguard::text::Fold(text, &view);
    benchmark::DoNotOptimize(view.text.data());
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * text.size()));
  state.SetLabel(kNames[state.range(0)]);
}

void BM_Mask(benchmark::State& state) {
  const std::string& text = Corpus(static_cast<int>(state.range(0)));
  static const auto m = *jitguard::Masker::Create({});
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

}  // namespace

BENCHMARK(BM_Memcpy)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Fold)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Mask)->DenseRange(0, 3)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
