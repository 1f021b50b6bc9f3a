// Command-line helpers shared by dscd and the benchmark programs. Thread-safety: call from
// main before any other thread starts.
#ifndef DSC_UTIL_FLAGS_H_
#define DSC_UTIL_FLAGS_H_

namespace dsc::util {

// Lets users write --data-dir as well as --data_dir: rewrites the dashes in the name part
// of every "--name[=value]" argument of argv[1..argc) to underscores, in place (Abseil's
// flags are declared with underscores). Values and single-dash arguments are untouched.
void NormalizeFlagNames(int argc, char** argv);

}  // namespace dsc::util

#endif  // DSC_UTIL_FLAGS_H_
