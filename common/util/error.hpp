#pragma once
// The one error type of the project: a message plus where it happened.
#include <stdexcept>
#include <string>

namespace trustnet {

// A position in an input file; line and column are 1-based, 0 when unknown.
struct SourceLocation {
  std::string file;
  int line = 0;
  int column = 0;
  bool known() const { return !file.empty(); }
  std::string str() const;  // "file:line:col"
};

enum class ExitCode : int {
  failure = 1,    // something went wrong while doing the work
  bad_input = 2,  // the user's input (recipe, command line) is at fault
  interrupted = 130,
};

class Error : public std::runtime_error {
 public:
  explicit Error(std::string message, ExitCode code = ExitCode::failure);
  Error(SourceLocation where, std::string message);

  const SourceLocation& where() const { return where_; }
  bool has_context() const { return !context_.empty(); }
  ExitCode exit_code() const { return code_; }
  // Context such as "node: execute"; prepended by the caller that knows it.
  Error& with_context(const std::string& context);
  // The single line printed to the user.
  std::string line() const;

 private:
  SourceLocation where_;
  ExitCode code_;
  std::string context_;
};

}  // namespace trustnet
