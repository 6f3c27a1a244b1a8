// What the entity tests share: a masker with every built-in entity on, a masker's findings as
// "ENTITY/rule:value" text, and the check that a masker's stream gives one-shot Mask()'s output
// for every chunk size from 1 to `max_chunk`.
#ifndef JITGUARD_TESTS_CPP_MASK_STREAM_CHECK_H_
#define JITGUARD_TESTS_CPP_MASK_STREAM_CHECK_H_

#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "gtest/gtest.h"
#include "jitguard/mask.h"

namespace jitguard::mask::testing {

// Every built-in entity on (the default profile leaves the opt-in ones off).
inline const std::shared_ptr<const Masker>& EveryEntityMasker() {
  static const std::shared_ptr<const Masker> m = [] {
    MaskerOptions o;
    o.entities = std::vector<std::string>(BuiltinEntities().begin(), BuiltinEntities().end());
    return *Masker::Create(std::move(o));
  }();
  return m;
}

// "ENTITY/rule:value" for each finding of `m` in `text`, space-separated.
inline std::string DescribeFindings(const Masker& m, std::string_view text) {
  std::string out;
  for (const Finding& f : m.Find(text)) {
    if (!out.empty()) out += ' ';
    out += f.entity + "/" + f.rule + ":" + std::string(text.substr(f.start, f.end - f.start));
  }
  return out;
}

inline void ExpectStreamEqualsOneShot(const Masker& m, std::string_view text, size_t max_chunk) {
  const std::string want = m.Mask(text);
  for (size_t chunk = 1; chunk <= max_chunk; ++chunk) {
    std::unique_ptr<MaskStream> s = m.NewStream();
    std::string got;
    for (size_t i = 0; i < text.size(); i += chunk) s->Write(text.substr(i, chunk), &got);
    got += s->Finish();
    EXPECT_EQ(got, want) << "chunk " << chunk;
  }
}

}  // namespace jitguard::mask::testing

#endif  // JITGUARD_TESTS_CPP_MASK_STREAM_CHECK_H_
