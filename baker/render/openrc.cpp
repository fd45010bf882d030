#include "baker/render/openrc.hpp"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "common/util/process.hpp"

namespace trustnet::baker {
namespace {

std::string words(const std::vector<std::string>& items) { return fmt::format("{}", fmt::join(items, " ")); }

}  // namespace

std::string render_openrc_script(const ServiceSpec& service, const std::string& recipe_name) {
  std::string script = "#!/sbin/openrc-run\n";
  script += fmt::format("# Written by bake from the {} recipe; edit the recipe, not this file.\n\n", recipe_name);
  // Every value is quoted by shell_quote: openrc-run sources this file, and nothing in a value may
  // run (validation refuses such values too; this holds whatever a recipe holds).
  script += fmt::format("name={}\n", shell_quote(service.name));
  script += fmt::format("description={}\n", shell_quote(service.description));
  script += fmt::format("command={}\n", shell_quote(service.command));
  // OpenRC evaluates command_args once more with eval: each word is quoted for that eval, and
  // the whole for the assignment.
  std::vector<std::string> quoted;
  for (const auto& arg : service.args) quoted.push_back(shell_quote(arg));
  if (!quoted.empty()) script += fmt::format("command_args={}\n", shell_quote(words(quoted)));
  if (service.user) script += fmt::format("command_user={}\n", shell_quote(*service.user + ":" + *service.user));
  script += "supervisor=supervise-daemon\n";
  if (service.directory) script += fmt::format("directory={}\n", shell_quote(*service.directory));
  if (service.output_log) script += fmt::format("output_log={}\n", shell_quote(*service.output_log));
  if (service.error_log) script += fmt::format("error_log={}\n", shell_quote(*service.error_log));
  script += "\ndepend() {\n";
  if (!service.need.empty()) script += fmt::format("\tneed {}\n", words(service.need));
  if (!service.after.empty()) script += fmt::format("\tafter {}\n", words(service.after));
  if (service.need.empty() && service.after.empty()) script += "\t:\n";
  script += "}\n";
  bool has_logs = service.output_log || service.error_log;
  if (has_logs || !service.requires_files.empty()) {
    script += "\nstart_pre() {\n";
    // Files of the instance's identity come from its seed disk at first boot; a service without
    // them refuses to start rather than run with an invented identity.
    for (const auto& file : service.requires_files)
      script += fmt::format(
          "\tif [ ! -e {} ]; then\n\t\teerror {}\n\t\treturn 1\n\tfi\n", shell_quote(file),
          shell_quote(file +
                      " is missing: this appliance has no instance identity (give it a seed disk: launch init)"));
    // supervise-daemon opens the logs as the service user: their folder must exist and be theirs.
    std::string owner = service.user ? fmt::format("{0}:{0}", *service.user) : "root:root";
    for (const auto* log : {&service.output_log, &service.error_log}) {
      if (!*log) continue;
      script += fmt::format("\tcheckpath --file --owner {} --mode 0640 {}\n", owner, shell_quote(**log));
    }
    script += "}\n";
  }
  return script;
}

std::string render_openrc_conf(const ServiceSpec& service) {
  if (service.environment.empty()) return "";
  std::string conf = fmt::format("# Settings of the {} service, written by bake.\n", service.name);
  for (const auto& [key, value] : service.environment) conf += fmt::format("export {}={}\n", key, shell_quote(value));
  return conf;
}

}  // namespace trustnet::baker
