// SseMaskStream over OpenAI-style chat/completions streams.
#include <string>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "simdjson.h"

namespace jitguard {
namespace {

std::string Event(std::string_view content, int index = 0) {
  std::string escaped;
  for (char c : content) {
    if (c == '"' || c == '\\') escaped.push_back('\\');
    escaped.push_back(c);
  }
  return R"(data: {"id":"c1","object":"chat.completion.chunk","created":1,"model":"m","choices":[{"index":)" +
         std::to_string(index) + R"(,"delta":{"content":")" + escaped +
         R"("},"finish_reason":null}]})" + "\n\n";
}

// Concatenated delta contents (per choice 0) of an SSE byte stream, plus the [DONE] check.
std::string Contents(const std::string& sse, int index = 0) {
  std::string text;
  size_t pos = 0;
  simdjson::dom::parser parser;
  while ((pos = sse.find("data: ", pos)) != std::string::npos) {
    const size_t end = sse.find("\n\n", pos);
    const std::string data = sse.substr(pos + 6, end - pos - 6);
    pos = end;
    if (data == "[DONE]") continue;
    simdjson::dom::element doc = parser.parse(data).value();
    for (simdjson::dom::element choice : doc["choices"].get_array()) {
      if (choice["index"].get_int64().value() != index) continue;
      std::string_view s;
      if (choice["delta"]["content"].get(s) == simdjson::SUCCESS) text += s;
      if (choice["text"].get(s) == simdjson::SUCCESS) text += s;
    }
  }
  return text;
}

std::string RunAll(SseMaskStream& s, const std::vector<std::string>& chunks) {
  std::string out;
  for (const std::string& c : chunks) out += *s.Write(c);
  out += *s.Finish();
  return out;
}

TEST(SseTest, ValueSplitAcrossEventsIsMasked) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  const std::string input = Event("Contact john.d") + Event("oe@example.com for ") +
                            Event("details.") + "data: [DONE]\n\n";
  const std::string out = RunAll(*s, {input});
  EXPECT_EQ(out.find("john"), std::string::npos);
  EXPECT_EQ(Contents(out), "Contact [EMAIL] for details.");
  EXPECT_NE(out.find("data: [DONE]\n\n"), std::string::npos);
  EXPECT_EQ(s->counts().at("EMAIL"), 1u);
}

TEST(SseTest, EveryByteChunkingGivesTheSameText) {
  const auto m = *Masker::Create({});
  const std::string input = Event("ip 10.0.") + Event("0.1 and card 4111 1111 ") +
                            Event("1111 1111!") + Event(" bye") + "data: [DONE]\n\n";
  auto one = m->NewSseStream();
  const std::string want = Contents(RunAll(*one, {input}));
  EXPECT_EQ(want, "ip [IPV4] and card [CREDIT_CARD]! bye");
  for (size_t step : {size_t{1}, size_t{7}, size_t{64}}) {
    auto s = m->NewSseStream();
    std::vector<std::string> chunks;
    for (size_t i = 0; i < input.size(); i += step) chunks.push_back(input.substr(i, step));
    EXPECT_EQ(Contents(RunAll(*s, chunks)), want) << step;
  }
}

TEST(SseTest, ChoicesAreIndependentStreams) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  const std::string input = Event("a@exa", 0) + Event("b@exa", 1) + Event("mple.com.", 0) +
                            Event("mple.org.", 1) + "data: [DONE]\n\n";
  const std::string out = RunAll(*s, {input});
  EXPECT_EQ(Contents(out, 0), "[EMAIL].");
  EXPECT_EQ(Contents(out, 1), "[EMAIL].");
}

TEST(SseTest, FinishReasonEventFlushesHeldContent) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  std::string out = *s->Write(Event("the end is near"));
  EXPECT_EQ(Contents(out), "the end is ");
  out += *s->Write(R"(data: {"id":"c1","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]})"
                   "\n\n");
  EXPECT_EQ(Contents(out), "the end is near");
  EXPECT_NE(out.find(R"("finish_reason":"stop")"), std::string::npos);
}

TEST(SseTest, OtherEventsAndFieldsAreKeptMasked) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  const std::string ping = ": keep-alive\n\n";
  const std::string named = "event: usage\ndata: {\"usage\":{\"total_tokens\":42}}\n\n";
  const std::string out = RunAll(*s, {ping, named, "data: [DONE]\n\n"});
  // Re-serialized: the comment (masked) on its own line, the event minified, LF line ends.
  EXPECT_EQ(out, ": keep-alive\nevent: usage\ndata: {\"usage\":{\"total_tokens\":42}}\n\n"
                 "data: [DONE]\n\n");
}

TEST(SseTest, CompletionsTextFieldIsMasked) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  const std::string out = RunAll(*s, {R"(data: {"choices":[{"index":0,"text":"ssn 123-45-"}]})"
                                      "\n\n",
                                      R"(data: {"choices":[{"index":0,"text":"6789 ok"}]})"
                                      "\n\n",
                                      "data: [DONE]\n\n"});
  EXPECT_EQ(Contents(out), "ssn [US_SSN] ok");
}

TEST(SseTest, HeldContentGoesOutBeforeDoneOrAtFinish) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  std::string out = *s->Write(Event("reach me at 415-555-"));
  out += *s->Write(Event("0132"));
  EXPECT_EQ(Contents(out), "reach me at ");
  out += *s->Write("data: [DONE]\n\n");
  EXPECT_EQ(Contents(out), "reach me at [PHONE]");
  EXPECT_LT(out.find("[PHONE]"), out.find("[DONE]"));

  auto s2 = m->NewSseStream();
  std::string out2 = *s2->Write(Event("trailing word"));
  out2 += *s2->Finish();
  EXPECT_EQ(Contents(out2), "trailing word");
}

TEST(SseTest, CrLfEventsAreHandled) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  const std::string input =
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a@example.com \"}}]}\r\n\r\n"
      "data: [DONE]\r\n\r\n";
  const std::string out = RunAll(*s, {input});
  EXPECT_NE(out.find("[EMAIL]"), std::string::npos);
  EXPECT_EQ(out.find("a@example"), std::string::npos);
  EXPECT_NE(out.find("data: [DONE]\n\n"), std::string::npos);  // written with LF
}

TEST(SseTest, DataThatIsNotJsonIsMaskedAsText) {
  const auto m = *Masker::Create({});
  auto s = m->NewSseStream();
  ASSERT_TRUE(s->Write(Event("hello ")).ok());
  absl::StatusOr<std::string> r = s->Write("data: {\"choices\": [a@example.com\n\n");
  ASSERT_TRUE(r.ok());
  absl::StatusOr<std::string> more = s->Write(Event("more"));
  ASSERT_TRUE(more.ok());
  absl::StatusOr<std::string> tail = s->Finish();
  ASSERT_TRUE(tail.ok());
  const std::string out = *r + *more + *tail;
  EXPECT_EQ(out.find("a@example.com"), std::string::npos);
  EXPECT_NE(out.find("[EMAIL]"), std::string::npos);
}

}  // namespace
}  // namespace jitguard
