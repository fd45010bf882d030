#include "launcher/health/node_status.hpp"

#include <doctest/doctest.h>

#include "launcher/health/instance_health.hpp"

using namespace trustnet::launcher;
using namespace std::chrono;

TEST_CASE("a node's /status and /net_info as CometBFT writes them, and nothing else, are read") {
  const auto status = parse_node_status(R"({"jsonrpc":"2.0","id":-1,"result":{"node_info":{"moniker":"trustnet-node"},)"
                                        R"("sync_info":{"latest_block_height":"1234","catching_up":false}}})");
  REQUIRE(status);
  CHECK(status->height == 1234);
  CHECK_FALSE(status->catching_up);
  CHECK(parse_node_status(R"({"result":{"sync_info":{"latest_block_height":"7","catching_up":true}}})")->catching_up);
  CHECK_FALSE(parse_node_status(R"({"status":"ok"})"));  // a registry's health is not a node
  CHECK_FALSE(parse_node_status(R"({"result":{"sync_info":{"latest_block_height":7,"catching_up":false}}})"));
  CHECK_FALSE(parse_node_status(R"({"result":{"sync_info":{"latest_block_height":"-7","catching_up":false}}})"));
  CHECK_FALSE(parse_node_status(R"({"result":{"sync_info":{"latest_block_height":"99999999999999999999",)"
                                R"("catching_up":false}}})"));
  CHECK_FALSE(parse_node_status("not json"));
  CHECK(parse_peer_count(R"({"jsonrpc":"2.0","id":-1,"result":{"listening":true,"n_peers":"3","peers":[]}})") == 3);
  CHECK_FALSE(parse_peer_count(R"({"result":{"n_peers":3}})"));
  CHECK_FALSE(parse_peer_count("[]"));
}

TEST_CASE("a height that has not grown for the patience is stalled, and one that grows is not") {
  ChainProgress progress(seconds(60));
  const auto t0 = steady_clock::now();
  CHECK_FALSE(progress.stalled(t0));  // nothing seen yet
  progress.record(10, t0);
  CHECK_FALSE(progress.stalled(t0 + seconds(59)));
  progress.record(10, t0 + seconds(30));  // the same height again does not count as progress
  CHECK(progress.stalled(t0 + seconds(60)));
  progress.record(11, t0 + seconds(61));
  CHECK_FALSE(progress.stalled(t0 + seconds(61)));
  progress.record(9, t0 + seconds(62));  // a lower height (a restarted node's RPC) is no progress
  CHECK(progress.stalled(t0 + seconds(121)));
}

TEST_CASE("the status table shows a node's chain in its own column, and the JSON the same") {
  HealthRow node{"node", "fd10:1234::1", 42, Phase::up, 75, {"ping", "ssh", "rpc"}, {}, {}, NodeStatus{57, false, 3}};
  HealthRow registry{"registry", "fd10:1234::2", 43, Phase::up, 75, {"ping", "ssh", "health"}, {}, {}, {}};
  CHECK(render_status_table({node, registry}) ==
        "NAME      ADDRESS       PID  STATE  UPTIME  ANSWERED         CHAIN\n"
        "node      fd10:1234::1  42   up     1m15s   ping,ssh,rpc     height 57, 3 peers\n"
        "registry  fd10:1234::2  43   up     1m15s   ping,ssh,health  -\n");
  node.chain->catching_up = true;
  node.chain->peers = 1;
  node.stalled = true;
  CHECK(chain_text(node) == "height 57, catching up, 1 peer, stalled");
  const auto json = status_json({node, registry});
  CHECK(json[0]["chain"] == nlohmann::json{{"height", 57}, {"catching_up", true}, {"peers", 1}, {"stalled", true}});
  CHECK_FALSE(json[1].contains("chain"));
  // Without a node that told its chain, the table is as it was.
  CHECK(render_status_table({registry}).find("CHAIN") == std::string::npos);
}
