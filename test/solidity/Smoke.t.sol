// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;
import {Smoke} from "../../contracts/Smoke.sol";
contract SmokeTest { function testFuzz_set(uint256 v) public { Smoke s = new Smoke(); s.set(v); require(s.x() == v, "x"); } }
