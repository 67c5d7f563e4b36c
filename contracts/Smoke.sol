// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;
contract Smoke { uint256 public x; function set(uint256 v) external { x = v; } }
