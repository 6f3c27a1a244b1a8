// Term lists: case-insensitive whole-word dictionary matching, every list in one pass.
//
// Terms are normalized (trimmed, ASCII-lowercased, whitespace runs -> one space) into one hash map
// from a normalized key to its list, plus the proper prefixes of terms that end at a token
// boundary (a term is tokens: runs of word bytes, single punctuation bytes, single spaces). At a
// word start the matcher reads the text token by token, looking each growing key up once, and
// stops as soon as the key is neither a term nor a prefix of one: O(words of the longest term)
// lookups per word, whatever the number of terms (100k terms compile in milliseconds).
#ifndef JITGUARD_LIB_MASK_TERMS_H_
#define JITGUARD_LIB_MASK_TERMS_H_

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "absl/container/flat_hash_map.h"
#include "absl/status/statusor.h"
#include "jitguard/mask.h"
#include "lib/mask/builtin.h"

namespace jitguard::mask {

inline constexpr size_t kMaxTermBytes = 256;

class TermMatcher {
 public:
  // Errors: kMask "bad_rule" for an empty or over-long term, naming the list.
  static absl::StatusOr<std::unique_ptr<TermMatcher>> Build(const std::vector<TermList>& lists);

  // The list index of the longest term starting at `s` (whole words), with its end; -1 if none.
  int Match(const Cursor& cur, size_t s, size_t* end) const;

  // True when some term can start with byte `c` (either case).
  bool CanStartWith(uint8_t c) const { return first_[c]; }

 private:
  struct Entry {
    int list = -1;        // list of the term equal to the key, or -1
    bool prefix = false;  // the key is a proper prefix of some term
  };
  absl::flat_hash_map<std::string, Entry> keys_;
  bool first_[256] = {};
};

}  // namespace jitguard::mask

#endif  // JITGUARD_LIB_MASK_TERMS_H_
