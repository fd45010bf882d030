#include "baker/render/sshd.hpp"

#include <doctest/doctest.h>

using namespace trustnet::baker;

TEST_CASE("the SSH policy forbids root and passwords and allows only the operator") {
  SshPolicy policy;
  policy.allow_users = {"warden"};
  std::string text = render_sshd_policy(policy);
  CHECK(text.find("PermitRootLogin no\n") != std::string::npos);
  CHECK(text.find("PasswordAuthentication no\n") != std::string::npos);
  CHECK(text.find("KbdInteractiveAuthentication no\n") != std::string::npos);
  CHECK(text.find("AllowUsers warden\n") != std::string::npos);
}

TEST_CASE("the drop-in folder is included before the first directive of the main configuration") {
  std::string alpine =
      "#\t$OpenBSD$\n\n#Port 22\nPermitRootLogin yes\nAuthorizedKeysFile .ssh/authorized_keys\nSubsystem sftp "
      "internal-sftp\n";
  std::string out = include_sshd_dropins(alpine);
  CHECK(out ==
        "#\t$OpenBSD$\n\n#Port 22\nInclude /etc/ssh/sshd_config.d/*.conf\nPermitRootLogin yes\n"
        "AuthorizedKeysFile .ssh/authorized_keys\nSubsystem sftp internal-sftp\n");
}

TEST_CASE("an Include already first stays single, one further down moves to the top") {
  std::string first = "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\n";
  CHECK(include_sshd_dropins(first) == first);
  std::string later = "Port 22\nInclude /etc/ssh/sshd_config.d/*.conf\nX11Forwarding no\n";
  CHECK(include_sshd_dropins(later) == "Include /etc/ssh/sshd_config.d/*.conf\nPort 22\nX11Forwarding no\n");
  CHECK(include_sshd_dropins(include_sshd_dropins(later)) == include_sshd_dropins(later));
}

TEST_CASE("a base without sshd_config gets a minimal one that includes the drop-ins") {
  std::string out = include_sshd_dropins(std::nullopt);
  CHECK(out.find("Include /etc/ssh/sshd_config.d/*.conf\n") != std::string::npos);
}
