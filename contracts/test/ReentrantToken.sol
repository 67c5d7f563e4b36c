// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title ReentrantToken
/// @notice Test double: an ERC-20 that, when armed, calls back into `target` with `payload`
///         the next time `target` sends tokens (i.e. from inside claim/withdraw), then either
///         bubbles the inner revert or records it and lets the outer transfer finish.
contract ReentrantToken is ERC20 {
    address public target;
    bytes public payload;
    bool public armed;
    bool public bubble;
    /// @notice Whether the last re-entrant call succeeded, and its revert data if not.
    bool public lastReentrySucceeded;
    bytes public lastReentryData;

    constructor() ERC20("Reentrant", "RE") {}

    /// @notice Anyone may mint (test token).
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }

    /// @notice Arms one re-entrant call of `payload_` into `target_` on its next outgoing transfer.
    function arm(address target_, bytes calldata payload_, bool bubble_) external {
        target = target_;
        payload = payload_;
        bubble = bubble_;
        armed = true;
    }

    function _update(address from, address to, uint256 value) internal override {
        super._update(from, to, value);
        if (armed && from == target) {
            armed = false;
            (bool ok, bytes memory data) = target.call(payload);
            lastReentrySucceeded = ok;
            lastReentryData = data;
            if (!ok && bubble) {
                assembly ("memory-safe") {
                    revert(add(data, 0x20), mload(data))
                }
            }
        }
    }
}
