// The response body masker (ResponseMaskStream) on an OpenAI-style chat stream: the same bytes fed
// whole, one event per write (what a server sees), in 64-byte chunks and one byte at a time. The
// ratio chunked / whole is the streaming cost; 1-byte feeding shows that the cost is linear.
#include <string>

#include "benchmark/benchmark.h"
#include "jitguard/mask.h"

namespace {

// `events` chat.completion.chunk events of a few tokens each, with a value every few events.
std::string ChatStream(int events) {
  static constexpr const char* kTokens[] = {
      "The ", "quarterly ", "report ", "shows ", "steady ", "growth ", "in ", "the ", "north ",
      "region, ", "contact ", "dana.whitfield@", "example.com ", "or ", "call ", "415-555-",
      "0132 ", "for ", "details. ", "Revenue ", "rose ", "by ", "four ", "percent. "};
  std::string out;
  for (int i = 0; i < events; ++i) {
    std::string content;
    for (int k = 0; k < 3; ++k) content += kTokens[(i * 3 + k) % std::size(kTokens)];
    out += "data: {\"id\":\"chatcmpl-9xYz\",\"object\":\"chat.completion.chunk\",\"created\":"
           "1733300000,\"model\":\"support-llm\",\"system_fingerprint\":\"fp_44709d6fcb\","
           "\"choices\":[{\"index\":0,\"delta\":{\"content\":\"" +
           content + "\"},\"logprobs\":null,\"finish_reason\":null}]}\n\n";
  }
  out += "data: [DONE]\n\n";
  return out;
}

const std::string& Stream() {
  static const std::string s = ChatStream(4000);
  return s;
}

void Run(benchmark::State& state, size_t chunk) {
  const auto masker = *jitguard::Masker::Create({});
  const std::string& input = Stream();
  size_t out = 0;
  for (auto _ : state) {
    auto s = masker->NewSseStream();
    if (chunk == 0) {
      out += s->Write(input)->size();
    } else {
      for (size_t i = 0; i < input.size(); i += chunk) {
        out += s->Write(std::string_view(input).substr(i, chunk))->size();
      }
    }
    out += s->Finish()->size();
  }
  benchmark::DoNotOptimize(out);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

void BM_SseWhole(benchmark::State& state) { Run(state, 0); }

void BM_SsePerEvent(benchmark::State& state) {
  const auto masker = *jitguard::Masker::Create({});
  const std::string& input = Stream();
  size_t out = 0;
  for (auto _ : state) {
    auto s = masker->NewSseStream();
    size_t start = 0;
    while (start < input.size()) {
      size_t end = input.find("\n\n", start);
      end = end == std::string::npos ? input.size() : end + 2;
      out += s->Write(std::string_view(input).substr(start, end - start))->size();
      start = end;
    }
    out += s->Finish()->size();
  }
  benchmark::DoNotOptimize(out);
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations() * input.size()));
}

void BM_SseChunks(benchmark::State& state) { Run(state, static_cast<size_t>(state.range(0))); }

}  // namespace

BENCHMARK(BM_SseWhole)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SsePerEvent)->Unit(benchmark::kMillisecond);
BENCHMARK(BM_SseChunks)->Arg(1)->Arg(64)->Arg(4096)->Unit(benchmark::kMillisecond);

BENCHMARK_MAIN();
