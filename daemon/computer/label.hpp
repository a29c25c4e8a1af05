#pragma once

// A computer's label under CC's rules, wherever it comes from (os.setComputerLabel, a client
// creating a computer, a scenario, `redrund run --label`), so that every label the daemon
// holds can be saved in world.json and read back.

#include <cstddef>
#include <string>
#include <string_view>

namespace redrund {

// CC: Tweaked keeps the first 32 characters of a label.
inline constexpr std::size_t label_chars_max = 32;

// The label CC would keep for `given`: its first 32 characters, each one that is not
// printable replaced by '?', as CC: Tweaked's os.setComputerLabel does. Characters are
// UTF-8 code points, so a cut never splits one; a byte that is not part of valid UTF-8 is a
// character of its own and becomes U+FFFD (as wherever the daemon writes JSON), so the result
// is always valid UTF-8.
std::string normalise_label(std::string_view given);

// Whether `label` is one CC could hold: normalise_label leaves it as it is.
bool is_normal_label(std::string_view label);

}  // namespace redrund
