// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {EvaluatorRegistry} from "../EvaluatorRegistry.sol";

/// @title DrawHarness
/// @notice Test-only: runs the registry's committee draw (`previewDraw`, a view) for many seeds in
///         one eth_call, so the sampler's distribution can be checked on tens of thousands of draws.
contract DrawHarness {
    /// @notice `count` draws of `k` for a task created at `asOf` (no requester, no eligibility
    ///         bar), draw i seeded with keccak256(abi.encode(seed, first + i)); members of draw i
    ///         at [i k, i k + k) (zero addresses where the draw filled no committee).
    function drawMany(
        EvaluatorRegistry registry,
        uint256 profileBit,
        uint256 fee,
        uint256 k,
        bytes32 seed,
        uint256 first,
        uint256 count,
        uint256 asOf
    ) external view returns (address[] memory out) {
        out = new address[](count * k);
        for (uint256 i; i < count; ++i) {
            bytes32 s = keccak256(abi.encode(seed, first + i));
            (address[] memory m,) = registry.previewDraw(profileBit, fee, address(0), k, s, 0, asOf);
            for (uint256 j; j < m.length; ++j) out[i * k + j] = m[j];
        }
    }
}
