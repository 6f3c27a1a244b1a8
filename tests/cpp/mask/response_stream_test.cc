// ResponseMaskStream: default-deny masking of model-server response bodies (SSE, NDJSON, JSON)
// against everything a hostile upstream can send. Each test checks the wire (the bytes a client
// would receive), not only the API's view of it.
#include <string>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "jitguard/mask.h"
#include "jitguard/status.h"
#include "simdjson.h"

namespace jitguard {
namespace {

using ::testing::HasSubstr;
using ::testing::Not;

constexpr std::string_view kEmail = "john.doe@example.com";
constexpr std::string_view kSsn = "123-45-6789";

std::shared_ptr<const Masker> DefaultMasker() { return *Masker::Create({}); }

std::string Feed(ResponseMaskStream& s, std::string_view input, size_t step = 0) {
  std::string out;
  if (step == 0) step = input.size() + 1;
  for (size_t i = 0; i < input.size(); i += step) {
    absl::StatusOr<std::string> o = s.Write(input.substr(i, step));
    EXPECT_TRUE(o.ok()) << o.status();
    if (o.ok()) out += *o;
  }
  absl::StatusOr<std::string> tail = s.Finish();
  EXPECT_TRUE(tail.ok()) << tail.status();
  if (tail.ok()) out += *tail;
  return out;
}

std::string RunSse(std::string_view input, size_t step = 0,
                   std::shared_ptr<const Masker> m = DefaultMasker()) {
  auto s = m->NewSseStream();
  return Feed(*s, input, step);
}

// Every data payload of an SSE byte stream (WHATWG framing on LF, as the masker writes it).
std::vector<std::string> DataOf(const std::string& sse) {
  std::vector<std::string> out;
  std::string data;
  bool has = false;
  size_t pos = 0;
  while (pos < sse.size()) {
    size_t nl = sse.find('\n', pos);
    if (nl == std::string::npos) nl = sse.size();
    std::string_view line(sse.data() + pos, nl - pos);
    pos = nl + 1;
    if (line.empty()) {
      if (has) out.push_back(data);
      data.clear();
      has = false;
      continue;
    }
    if (line.substr(0, 6) == "data: ") {
      if (has) data.push_back('\n');
      data.append(line.substr(6));
      has = true;
    }
  }
  return out;
}

// Concatenates the string values at `pointer` (e.g. "/choices/0/delta/content") of every JSON data
// event.
std::string Concat(const std::string& sse, const char* pointer) {
  std::string text;
  simdjson::dom::parser parser;
  for (const std::string& data : DataOf(sse)) {
    simdjson::dom::element doc;
    if (parser.parse(data).get(doc) != simdjson::SUCCESS) continue;
    std::string_view s;
    if (doc.at_pointer(pointer).get(s) == simdjson::SUCCESS) text.append(s);
  }
  return text;
}

// True when every data payload that starts like JSON parses.
bool AllJsonParses(const std::string& sse) {
  simdjson::dom::parser parser;
  for (const std::string& data : DataOf(sse)) {
    if (data == "[DONE]" || data.empty() || (data[0] != '{' && data[0] != '[')) continue;
    simdjson::dom::element doc;
    if (parser.parse(data).get(doc) != simdjson::SUCCESS) return false;
  }
  return true;
}

std::string Chunk(std::string_view delta_json, int index = 0, std::string_view extra = "") {
  return "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1,"
         "\"model\":\"m\",\"choices\":[{\"index\":" +
         std::to_string(index) + ",\"delta\":" + std::string(delta_json) + std::string(extra) +
         ",\"finish_reason\":null}]}\n\n";
}

// ---- the crash -----------------------------------------------------------------------------------

TEST(ResponseStreamTest, DuplicateChoicesWithALongerSecondArrayIsMaskedNotACrash) {
  std::string input = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"hi\"}}],"
                      "\"choices\":[";
  for (int i = 0; i < 50; ++i) {
    if (i > 0) input += ",";
    input += "{\"index\":" + std::to_string(i) + ",\"delta\":{\"content\":\"mail " +
             std::string(kEmail) + " \"}}";
  }
  input += "]}\n\ndata: [DONE]\n\n";
  const std::string out = RunSse(input);
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(out, HasSubstr("[EMAIL]"));
  EXPECT_TRUE(AllJsonParses(out));
}

TEST(ResponseStreamTest, EveryJsonTypeWhereAnObjectIsExpected) {
  for (std::string_view v : {"1", "\"x\"", "null", "true", "[]", "[1,\"a\"]", "{}", "-0.5e3"}) {
    std::string input = "data: {\"choices\":" + std::string(v) + "}\n\n";
    input += "data: {\"choices\":[" + std::string(v) + "]}\n\n";
    input += "data: {\"choices\":[{\"delta\":" + std::string(v) + "}]}\n\n";
    input += "data: {\"choices\":[{\"delta\":{\"content\":" + std::string(v) + "}}]}\n\n";
    const std::string out = RunSse(input);
    EXPECT_TRUE(AllJsonParses(out)) << v;
    // An index that is not an integer routes nothing: the stream is refused, not guessed at (a
    // client coerces 1.0 or "1" to choice 1, the masker would have joined it to another).
    auto s = DefaultMasker()->NewSseStream();
    absl::StatusOr<std::string> r =
        s->Write("data: {\"choices\":[{\"delta\":{\"content\":\"a\"},\"index\":" + std::string(v) +
                 "}]}\n\n");
    if (v == "1") {
      EXPECT_TRUE(r.ok()) << r.status();
    } else {
      ASSERT_FALSE(r.ok()) << v;
      EXPECT_EQ(ErrorReason(r.status()), "ambiguous_event") << v;
    }
  }
}

TEST(ResponseStreamTest, RoutingMembersGivenTwiceAreRefused) {
  for (std::string_view event : {
           R"({"choices":[{"index":0,"index":1,"delta":{"content":"a"}}]})",
           R"({"type":"response.output_text.delta","type":"x.delta","delta":"a"})",
           R"({"type":"response.output_text.delta","output_index":0,"output_index":1,"delta":"a"})",
           R"({"type":"response.output_text.delta","content_index":0,"content_index":1,"delta":"a"})",
       }) {
    auto s = DefaultMasker()->NewSseStream();
    absl::StatusOr<std::string> r = s->Write("data: " + std::string(event) + "\n\n");
    ASSERT_FALSE(r.ok()) << event;
    EXPECT_EQ(ErrorReason(r.status()), "ambiguous_event") << event;
  }
}

// A routing index outside 0..65535 is refused: the synthetic event that flushes a channel's held
// text names its index raw, so a card number given as "output_index" came back whole (found by
// the response fuzzer).
TEST(ResponseStreamTest, RoutingIndexesOutOfRangeAreRefused) {
  for (std::string_view event : {
           R"({"choices":[{"index":4111111111111111,"delta":{"content":"a"}}]})",
           R"({"choices":[{"index":-1,"delta":{"content":"a"}}]})",
           R"({"choices":[{"index":0,"delta":{"tool_calls":[{"index":65536,"function":{"arguments":"x"}}]}}]})",
           R"({"type":"response.output_text.delta","output_index":4111111111111111,"delta":"a"})",
           R"({"type":"response.output_text.delta","content_index":-2,"delta":"a"})",
       }) {
    auto s = DefaultMasker()->NewSseStream();
    absl::StatusOr<std::string> r = s->Write("data: " + std::string(event) + "\n\n");
    ASSERT_FALSE(r.ok()) << event;
    EXPECT_EQ(ErrorReason(r.status()), "ambiguous_event") << event;
  }
  auto s = DefaultMasker()->NewSseStream();
  EXPECT_TRUE(
      s->Write("data: {\"type\":\"response.output_text.delta\",\"output_index\":65535,"
               "\"content_index\":0,\"delta\":\"a\"}\n\n")
          .ok());
  // The fuzzer's input: the index came back in the event that flushed the held text at [DONE].
  auto f = DefaultMasker()->NewSseStream();
  std::string out;
  absl::Status st = absl::OkStatus();
  for (std::string_view event : {
           R"(data: {"type":"response.output_text.delta","delta":" 4111 1111 1111 1111 "})",
           R"(data: {"type":"response.output_text.delta","output_index":4111111111111111,"delta":"x"})",
           "data: [DONE]",
       }) {
    absl::StatusOr<std::string> r = f->Write(std::string(event) + "\n\n");
    if (!r.ok()) {
      st = r.status();
      break;
    }
    out += *r;
  }
  EXPECT_EQ(ErrorReason(st), "ambiguous_event");
  EXPECT_EQ(out.find("4111111111111111"), std::string::npos) << out;
}

TEST(ResponseStreamTest, TextAfterAChoiceFinishedIsRefused) {
  // A value split around the finish ("4111 1111" | finish | " 1111 1111") would reach the client in
  // two halves, each masked alone: text for a finished choice or item closes the stream instead.
  const std::string start = Chunk(R"({"content":"card 4111 1111"})");
  const std::string finish =
      "data: {\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  const std::string late = Chunk(R"({"content":" 1111 1111"})");
  for (const std::string& ending : {finish, std::string("data: [DONE]\n\n")}) {
    auto s = DefaultMasker()->NewSseStream();
    std::string out = *s->Write(start + ending);
    absl::StatusOr<std::string> r = s->Write(late);
    ASSERT_FALSE(r.ok());
    EXPECT_EQ(ErrorReason(r.status()), "content_after_finish");
    EXPECT_THAT(out, Not(HasSubstr("1111 1111 1111")));
  }
  // finish_reason on the event with the last text, then more text: refused too.
  auto s = DefaultMasker()->NewSseStream();
  ASSERT_TRUE(s->Write("data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"card 4111 "
                       "1111\"},\"finish_reason\":\"length\"}]}\n\n")
                  .ok());
  EXPECT_EQ(ErrorReason(s->Write(late).status()), "content_after_finish");
  // Responses API: deltas after the part's *.done.
  auto r = DefaultMasker()->NewSseStream();
  ASSERT_TRUE(r->Write("data: {\"type\":\"response.output_text.delta\",\"output_index\":0,"
                       "\"content_index\":0,\"delta\":\"card 4111 1111\"}\n\n"
                       "data: {\"type\":\"response.output_text.done\",\"output_index\":0,"
                       "\"content_index\":0,\"text\":\"x\"}\n\n")
                  .ok());
  EXPECT_EQ(ErrorReason(r->Write("data: {\"type\":\"response.output_text.delta\","
                                 "\"output_index\":0,\"content_index\":0,\"delta\":\" 1111 "
                                 "1111\"}\n\n")
                            .status()),
            "content_after_finish");
  // Empty deltas and a repeated finish_reason after the finish are fine (servers send usage so).
  auto u = DefaultMasker()->NewSseStream();
  EXPECT_TRUE(u->Write(start + finish + finish +
                       "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"\"}}]}\n\n")
                  .ok());
}

TEST(ResponseStreamTest, ManyChannelsAreBounded) {
  // Each event opens a choice and finishes one that is not open (a finish looks up its own
  // channels, not every open one); past the cap the stream is refused.
  std::string input;
  for (int i = 0; i < 4000; ++i) {
    input += "data: {\"choices\":[{\"index\":" + std::to_string(i) +
             ",\"delta\":{\"content\":\"x\"}},{\"index\":" + std::to_string(60000 + i) +
             ",\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n";
  }
  auto s = DefaultMasker()->NewSseStream();
  EXPECT_TRUE(s->Write(input).ok());
  std::string more;
  for (int i = 4000; i < 5000; ++i) {
    more += "data: {\"choices\":[{\"index\":" + std::to_string(i) +
            ",\"delta\":{\"content\":\"x\"}}]}\n\n";
  }
  absl::StatusOr<std::string> r = s->Write(more);
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorReason(r.status()), "too_many_channels");
}

TEST(ResponseStreamTest, StructuralMembersAreStillScanned) {
  // A value that fits a structural member's shape is still found ("id": an AWS key id).
  const std::string out = RunSse(
      "data: {\"id\":\"AKIAIOSFODNN7EXAMPLE\",\"object\":\"chat.completion.chunk\","
      "\"model\":\"ghp_16C7e42F292c6912E7710c838347Ae178B4a\",\"choices\":[]}\n\n");
  EXPECT_THAT(out, Not(HasSubstr("AKIAIOSFODNN7EXAMPLE")));
  EXPECT_THAT(out, Not(HasSubstr("ghp_16C7e42F")));
  EXPECT_THAT(out, HasSubstr("\"object\":\"chat.completion.chunk\""));
}

TEST(ResponseStreamTest, NumbersAreReadAsTheIntegerAClientSees) {
  for (std::string_view n : {"4111111111111111.0", "4.111111111111111e15", "-4111111111111111",
                             "4111111111111111.5"}) {
    const std::string out = RunSse("data: {\"choices\":[{\"index\":0,\"delta\":{},"
                                   "\"usage\":" + std::string(n) + "}]}\n\n");
    EXPECT_THAT(out, HasSubstr("[CREDIT_CARD]")) << n;
    EXPECT_THAT(out, Not(HasSubstr(n))) << n;
  }
  EXPECT_THAT(RunSse("data: {\"created\":1700000000.5,\"choices\":[]}\n\n"),
              HasSubstr("1700000000.5"));
}

// ---- fields the old masker skipped ----------------------------------------------------------------

TEST(ResponseStreamTest, ToolCallArgumentsSplitAcrossEventsAreMasked) {
  const std::string input =
      Chunk(R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"send","arguments":"{\"to\":\"john.d"}}]})") +
      Chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"oe@example.com\"}"}}]})") +
      "data: [DONE]\n\n";
  for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
    const std::string out = RunSse(input, step);
    EXPECT_THAT(out, Not(HasSubstr("john.d"))) << step;
    EXPECT_EQ(Concat(out, "/choices/0/delta/tool_calls/0/function/arguments"),
              R"({"to":"[EMAIL]"})")
        << step;
  }
}

TEST(ResponseStreamTest, ASecretInStreamedToolArgumentsIsMasked) {
  // Streamed tool arguments are JSON text: `"password": "..."` is a key-value secret after ':'.
  const std::string input =
      Chunk(R"({"tool_calls":[{"index":0,"id":"call_1","type":"function","function":{"name":"login","arguments":"{\"user\":\"bob\",\"pass"}}]})") +
      Chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"word\": \"S3cr3tP@"}}]})") +
      Chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"ssw0rd!\"}"}}]})") +
      "data: [DONE]\n\n";
  for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
    const std::string out = RunSse(input, step);
    EXPECT_THAT(out, Not(HasSubstr("S3cr3t"))) << step;
    EXPECT_EQ(Concat(out, "/choices/0/delta/tool_calls/0/function/arguments"),
              R"({"user":"bob","password": "[API_KEY]"})")
        << step;
  }
}

TEST(ResponseStreamTest, EscapedCharactersInStreamedArgumentsCannotHideAValue) {
  // "john.doe\u0040example.com" decodes to the email: the client's JSON parser sees it.
  const std::string input =
      Chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"{\"to\":\"john.doe\\u0040exa"}}]})") +
      Chunk(R"({"tool_calls":[{"index":0,"function":{"arguments":"mple.com\"}"}}]})") +
      "data: [DONE]\n\n";
  const std::string out = RunSse(input, 3);
  const std::string args = Concat(out, "/choices/0/delta/tool_calls/0/function/arguments");
  EXPECT_EQ(args, R"({"to":"[EMAIL]"})");
  EXPECT_THAT(out, Not(HasSubstr("john.doe")));
}

TEST(ResponseStreamTest, ReasoningAndRefusalFieldsAreStreamsOfTheirOwn) {
  for (std::string_view field : {"reasoning_content", "reasoning", "refusal"}) {
    const std::string f(field);
    const std::string input = Chunk("{\"" + f + "\":\"the ssn is 123-45-\"}") +
                              Chunk("{\"" + f + "\":\"6789 ok\"}") + "data: [DONE]\n\n";
    const std::string out = RunSse(input, 5);
    EXPECT_THAT(out, Not(HasSubstr("6789"))) << field;
    EXPECT_EQ(Concat(out, ("/choices/0/delta/" + f).c_str()), "the ssn is [US_SSN] ok") << field;
  }
}

TEST(ResponseStreamTest, LogprobsTokensAndBytesAreMasked) {
  std::string input;
  for (std::string_view tok : {"mail ", "john", ".doe", "@", "example", ".com", " now"}) {
    std::string bytes;
    for (char c : tok) {
      if (!bytes.empty()) bytes.push_back(',');
      bytes.append(std::to_string(static_cast<int>(c)));
    }
    input += Chunk("{\"content\":\"" + std::string(tok) + "\"}", 0,
                   ",\"logprobs\":{\"content\":[{\"token\":\"" + std::string(tok) +
                       "\",\"logprob\":-0.1,\"bytes\":[" + bytes +
                       "],\"top_logprobs\":[{\"token\":\"" + std::string(kEmail) +
                       "\",\"logprob\":-2,\"bytes\":[106,111]}]}]}");
  }
  input += "data: [DONE]\n\n";
  const std::string out = RunSse(input, 11);
  EXPECT_THAT(out, Not(HasSubstr("john")));
  EXPECT_THAT(out, Not(HasSubstr("106,111")));          // the raw bytes of "jo"
  EXPECT_THAT(out, Not(HasSubstr("101,120,97,109")));   // "exam"
  EXPECT_EQ(Concat(out, "/choices/0/delta/content"), "mail [EMAIL] now");
  EXPECT_EQ(Concat(out, "/choices/0/logprobs/content/0/token"), "mail [EMAIL] now");
  EXPECT_TRUE(AllJsonParses(out));
}

TEST(ResponseStreamTest, ContentAsAListOfParts) {
  const std::string out = RunSse(Chunk(R"({"content":[{"type":"text","text":"ssn 123-45-6789"}]})") +
                                 "data: [DONE]\n\n");
  EXPECT_THAT(out, Not(HasSubstr(kSsn)));
  EXPECT_THAT(out, HasSubstr("[US_SSN]"));
}

TEST(ResponseStreamTest, ErrorObjectsWithoutChoices) {
  const std::string out =
      RunSse("data: {\"error\":{\"message\":\"user john.doe@example.com over quota\","
             "\"type\":\"rate_limit\",\"code\":\"x 123-45-6789\"}}\n\n");
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(out, Not(HasSubstr(kSsn)));
  EXPECT_THAT(out, HasSubstr("[EMAIL]"));
}

TEST(ResponseStreamTest, DataThatIsAJsonStringOrArrayOrNotJson) {
  const std::string out = RunSse("data: \"mail john.doe@example.com\"\n\n"
                                 "data: [\"a\", \"123-45-6789\", {\"k\": \"john.doe@example.com\"}]\n\n"
                                 "data: plain text john.doe@exam\n\n"
                                 "data: ple.com and more\n\n");
  EXPECT_THAT(out, Not(HasSubstr("john.doe")));
  EXPECT_THAT(out, Not(HasSubstr(kSsn)));
  EXPECT_THAT(out, HasSubstr("plain text "));
}

// Found by the response fuzzer: non-JSON data joined to the digits the previous event ended with
// ("-17886" + "4111111111111111") hid a card number that a client reading events one by one sees.
TEST(ResponseStreamTest, NonJsonDataIsMaskedAloneAndJoined) {
  const std::string out = RunSse("data: -17886\n\ndata: 4111111111111111\n\n"
                                 "data: reach 415-555-\n\ndata: 0132 now\n\n");
  EXPECT_THAT(out, Not(HasSubstr("4111111111111111")));
  EXPECT_THAT(out, Not(HasSubstr("0132")));
}

// Found by the response fuzzer: a card number right after a comma (a JSON array or CSV row in data
// that is not valid JSON, so masked as text) was not found.
TEST(ResponseStreamTest, CardAfterACommaInTextData) {
  const std::string out = RunSse("data: [-7392,4111111111111111,{\n\ndata: id,card\ndata: 7,4111111111111111\n\n");
  EXPECT_THAT(out, Not(HasSubstr("4111111111111111")));
}

TEST(ResponseStreamTest, NonJsonDataIsInTheTranscript) {
  auto s = DefaultMasker()->NewSseStream();
  const std::string out = Feed(*s, "data: mail john.doe@example.com now\n\n");
  EXPECT_EQ(s->transcript().at(0), "mail [EMAIL] now");
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
}

TEST(ResponseStreamTest, CommentsAreMasked) {
  const std::string out = RunSse(": debug user=john.doe@example.com\n: ping\n\n" + Chunk(R"({"content":"x"})"));
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(out, HasSubstr(": ping\n"));
}

TEST(ResponseStreamTest, ByteOrderMarkBeforeTheFirstEvent) {
  const std::string input = "\xEF\xBB\xBF" + Chunk(R"({"content":"ssn 123-45-6789 "})");
  for (size_t step : {size_t{0}, size_t{1}, size_t{2}}) {
    const std::string out = RunSse(input, step);
    EXPECT_THAT(out, Not(HasSubstr(kSsn))) << step;
    EXPECT_EQ(Concat(out, "/choices/0/delta/content"), "ssn [US_SSN] ") << step;
  }
}

TEST(ResponseStreamTest, DuplicateMembersAreEveryOneMasked) {
  // A client's parser takes the last "delta" (or "content"); a masker that read the first would miss.
  const std::string out = RunSse(
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"ok\"},"
      "\"delta\":{\"content\":\"mail john.doe@example.com \",\"content\":\"ssn 123-45-6789 \"}}]}\n\n"
      "data: [DONE]\n\n");
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(out, Not(HasSubstr(kSsn)));
  EXPECT_TRUE(AllJsonParses(out));
}

TEST(ResponseStreamTest, TextBesideDelta) {
  const std::string out = RunSse(
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"text\":\"ssn 123-45-\"}]}\n\n"
      "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"b\"},\"text\":\"6789 \"}]}\n\n"
      "data: [DONE]\n\n");
  EXPECT_THAT(out, Not(HasSubstr("6789")));
  EXPECT_EQ(Concat(out, "/choices/0/text"), "ssn [US_SSN] ");
}

// ---- structure -----------------------------------------------------------------------------------

TEST(ResponseStreamTest, StructuralMembersPassOnlyWithTheirShape) {
  const std::string out = RunSse(
      "data: {\"id\":\"chatcmpl-AbC123\",\"object\":\"chat.completion.chunk\",\"created\":17,"
      "\"model\":\"meta-llama/Llama-3.1-8B\",\"system_fingerprint\":\"fp_44709d6fcb\","
      "\"choices\":[]}\n\n"
      "data: {\"id\":\"john.doe@example.com\",\"model\":\"ask 123-45-6789 about it\","
      "\"object\":\"Call John\",\"created\":\"4111 1111 1111 1111\",\"choices\":[]}\n\n");
  EXPECT_THAT(out, HasSubstr("\"id\":\"chatcmpl-AbC123\""));
  EXPECT_THAT(out, HasSubstr("\"model\":\"meta-llama/Llama-3.1-8B\""));
  EXPECT_THAT(out, HasSubstr("\"created\":17"));
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(out, Not(HasSubstr(kSsn)));
  EXPECT_THAT(out, Not(HasSubstr("4111 1111")));
}

TEST(ResponseStreamTest, StructuralMembersAreConfigurable) {
  MaskerOptions options;
  options.structural_members.emplace();  // an empty list: every string masked
  options.terms = {TermList{.name = "PROJECT", .terms = {"chatcmpl"}}};
  const auto m = *Masker::Create(std::move(options));
  const std::string out = RunSse("data: {\"id\":\"chatcmpl\",\"choices\":[]}\n\n", 0, m);
  EXPECT_THAT(out, HasSubstr("\"id\":\"[PROJECT]\""));
}

TEST(ResponseStreamTest, NumbersAndKeysCarryingValuesAreMasked) {
  const std::string out = RunSse(
      "data: {\"choices\":[],\"usage\":{\"total_tokens\":12},\"card\":4111111111111111,"
      "\"john.doe@example.com\":1}\n\n");
  EXPECT_THAT(out, HasSubstr("\"total_tokens\":12"));
  EXPECT_THAT(out, Not(HasSubstr("4111111111111111")));
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_TRUE(AllJsonParses(out));
}

TEST(ResponseStreamTest, SseFieldsFollowTheStandard) {
  const std::string out = RunSse("event: john.doe@example.com\nid: 123-45-6789\nretry: 10x\n"
                                 "foo: bar\ndata: {\"choices\":[]}\n\nretry: 3000\n\n");
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(out, Not(HasSubstr(kSsn)));
  EXPECT_THAT(out, Not(HasSubstr("10x")));
  EXPECT_THAT(out, Not(HasSubstr("foo")));
  EXPECT_THAT(out, HasSubstr("retry: 3000\n"));
}

TEST(ResponseStreamTest, CrLfAndCrFramingGiveTheSameTranscript) {
  std::string base = Chunk(R"({"content":"reach john.doe@exa"})") +
                     Chunk(R"({"content":"mple.com now"})") + "data: [DONE]\n\n";
  auto with = [&](std::string_view eol) {
    std::string s;
    for (char c : base) {
      if (c == '\n') {
        s += eol;
      } else {
        s.push_back(c);
      }
    }
    return s;
  };
  for (std::string_view eol : {"\n", "\r\n", "\r"}) {
    for (size_t step : {size_t{0}, size_t{1}}) {
      auto s = DefaultMasker()->NewSseStream();
      const std::string out = Feed(*s, with(eol), step);
      EXPECT_EQ(Concat(out, "/choices/0/delta/content"), "reach [EMAIL] now");
      ASSERT_EQ(s->transcript().size(), 1u);
      EXPECT_EQ(s->transcript().at(0), "reach [EMAIL] now");
    }
  }
}

TEST(ResponseStreamTest, HeldTextIsFlushedBeforeTheFinishReasonEvent) {
  auto s = DefaultMasker()->NewSseStream();
  std::string out = *s->Write(Chunk(R"({"content":"the end is near"})"));
  EXPECT_EQ(Concat(out, "/choices/0/delta/content"), "the end is ");
  out += *s->Write(
      "data: {\"id\":\"c\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"stop\"}]}\n\n");
  EXPECT_EQ(Concat(out, "/choices/0/delta/content"), "the end is near");
  EXPECT_LT(out.find("near"), out.find("\"finish_reason\":\"stop\""));
}

TEST(ResponseStreamTest, ResponsesApiDeltas) {
  const std::string input =
      "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
      "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"mail john.d\"}\n\n"
      "event: response.output_text.delta\ndata: {\"type\":\"response.output_text.delta\","
      "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,\"delta\":\"oe@example.com\"}\n\n"
      "event: response.output_text.done\ndata: {\"type\":\"response.output_text.done\","
      "\"item_id\":\"msg_1\",\"output_index\":0,\"content_index\":0,"
      "\"text\":\"mail john.doe@example.com\"}\n\n";
  const std::string out = RunSse(input, 4);
  EXPECT_THAT(out, Not(HasSubstr("john.d")));
  EXPECT_EQ(Concat(out, "/delta"), "mail [EMAIL]");
  EXPECT_LT(out.rfind("\"delta\""), out.find("response.output_text.done"));
}

TEST(ResponseStreamTest, AFreeTextTypeNeverComesBackInASyntheticEvent) {
  // A "type" that is not a structural word is masked where it stands and routes nothing: the held
  // delta is not flushed in a synthetic event that would copy the type (found by the fuzzer).
  const std::string input =
      "data: {\"type\":\" john.doe@example.com x.delta\",\"delta\":\"c\"}\n\n"
      "data: [DONE]\n\n";
  for (size_t step : {size_t{0}, size_t{1}, size_t{7}}) {
    const std::string out = RunSse(input, step);
    EXPECT_THAT(out, Not(HasSubstr("john.doe"))) << step;
    EXPECT_THAT(out, HasSubstr("[EMAIL]")) << step;
  }
}

TEST(ResponseStreamTest, EveryLineOfNonJsonDataIsMaskedAsItGoesOut) {
  // The joined stream emits at its own boundaries: "4111 1111 1111 1111 11" is no card, but its
  // held tail can move to the next line, leaving the card whole on a line of its own. Every line
  // that goes out must hold nothing the masker finds (found by the response fuzzer's hour run).
  const std::string input = "data: x 4111 1111 1111 1111 11\n\ndata: d\n\ndata: more\n\n";
  for (size_t step : {size_t{0}, size_t{1}, size_t{3}, size_t{7}}) {
    auto s = DefaultMasker()->NewSseStream();
    const std::string out = Feed(*s, input, step);
    size_t start = 0;
    for (size_t nl = out.find('\n'); nl != std::string::npos; nl = out.find('\n', start)) {
      const std::string line = out.substr(start, nl - start);
      EXPECT_EQ(DefaultMasker()->Mask(line), line) << "step " << step << ": " << out;
      start = nl + 1;
    }
  }
}

TEST(ResponseStreamTest, AnNdjsonLineThatIsNotJsonIsRefused) {
  // A client that asked for a stream may parse NDJSON as SSE (the OpenAI SDKs do): a "data:" line
  // it would read as an event, decoding its escapes, is refused; CR ends a line as in SSE.
  for (std::string_view input : {
           "{\"response\":\"a\"}\ndata: {\"choices\":[{\"delta\":{\"content\":\"x\"}}]}\n",
           "{\"response\":\"a\"}\rdata: {\"x\":1}\n",
           "\xEF\xBB\xBF{\"response\":\"a\"}\n",
           "plain text\n",
       }) {
    auto s = DefaultMasker()->NewResponseStream(ResponseFraming::kNdjson);
    absl::StatusOr<std::string> r = s->Write(input);
    ASSERT_FALSE(r.ok()) << input;
    EXPECT_EQ(ErrorReason(r.status()), "bad_ndjson_line") << input;
  }
  auto s = DefaultMasker()->NewResponseStream(ResponseFraming::kNdjson);
  EXPECT_TRUE(s->Write("  {\"response\":\"a\"}\r\n[1]\n\n").ok());
}

TEST(ResponseStreamTest, OllamaNdjson) {
  const std::string input =
      "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"ssn 123-45-\"},\"done\":false}\n"
      "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"6789\"},\"done\":false}\n"
      "{\"model\":\"llama3\",\"message\":{\"role\":\"assistant\",\"content\":\"\"},\"done\":true}\n";
  for (size_t step : {size_t{0}, size_t{1}}) {
    auto s = DefaultMasker()->NewResponseStream(ResponseFraming::kNdjson);
    const std::string out = Feed(*s, input, step);
    EXPECT_THAT(out, Not(HasSubstr("6789")));
    EXPECT_EQ(s->transcript().at(0), "ssn [US_SSN]");
    EXPECT_LT(out.find("[US_SSN]"), out.find("\"done\":true"));
  }
}

TEST(ResponseStreamTest, WholeJsonAnswer) {
  auto s = DefaultMasker()->NewResponseStream(ResponseFraming::kJson);
  const std::string out = Feed(
      *s,
      "{\"id\":\"chatcmpl-1\",\"choices\":[{\"index\":0,\"message\":{\"role\":\"assistant\","
      "\"content\":\"mail john.doe@example.com\",\"tool_calls\":[{\"id\":\"call_1\",\"type\":"
      "\"function\",\"function\":{\"name\":\"f\",\"arguments\":\"{\\\"ssn\\\":\\\"123-45-6789\\\"}\"}}]},"
      "\"finish_reason\":\"stop\"}]}",
      5);
  EXPECT_THAT(out, Not(HasSubstr(kEmail)));
  EXPECT_THAT(out, Not(HasSubstr(kSsn)));
  EXPECT_THAT(out, HasSubstr(R"(\"ssn\":\"[US_SSN]\")"));
  EXPECT_EQ(s->transcript().at(0), "mail [EMAIL]{\"ssn\":\"[US_SSN]\"}");
}

TEST(ResponseStreamTest, WholeBodyThatIsNotJsonIsMaskedAsText) {
  auto s = DefaultMasker()->NewResponseStream(ResponseFraming::kJson);
  EXPECT_EQ(Feed(*s, "oops john.doe@example.com"), "oops [EMAIL]");
}

// ---- limits and cost -----------------------------------------------------------------------------

TEST(ResponseStreamTest, AnEventOverTheCapFailsClosed) {
  MaskerOptions options;
  options.max_response_event_bytes = 4096;
  auto s = (*Masker::Create(std::move(options)))->NewSseStream();
  absl::StatusOr<std::string> r = s->Write("data: " + std::string(5000, 'a'));
  ASSERT_FALSE(r.ok());
  EXPECT_EQ(ErrorReason(r.status()), "sse_event_too_large");
  EXPECT_FALSE(s->Write("\n\n").ok());
  EXPECT_FALSE(s->Finish().ok());
}

TEST(ResponseStreamTest, OneByteAtATimeIsLinear) {
  // 4 MiB in one event, fed a byte at a time: a parser that rescans its pending bytes on every write
  // does ~8e12 byte steps here and times the test out; a linear one takes well under a second.
  std::string content(size_t{4} << 20, 'a');
  for (size_t i = 100; i < content.size(); i += 100) content[i] = ' ';
  const std::string input = Chunk("{\"content\":\"" + content + "\"}");
  auto s = DefaultMasker()->NewSseStream();
  size_t out = 0;
  for (char c : input) out += s->Write(std::string_view(&c, 1))->size();
  out += s->Finish()->size();
  EXPECT_GT(out, content.size());
}

}  // namespace
}  // namespace jitguard
