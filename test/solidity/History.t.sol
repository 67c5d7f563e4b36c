// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {TestBase} from "./Vm.sol";
import {History} from "../../contracts/libraries/History.sol";

/// @notice History (one-word latest entry) against a plain array of (key, value) pushes: after
///         random pushes (repeated keys overwrite, gaps of any size), the value as of every key
///         from before the first to after the last equals the reference's last value at or before
///         it, whether the lookup hits the latest word or searches the older entries.
contract HistoryTest is TestBase {
    using History for History.Trace;
    using History for History.Wide;

    History.Trace internal _trace;
    History.Wide internal _wide;
    uint256[] internal _keys;
    uint256[] internal _values;

    function _refAt(uint256 key) internal view returns (uint256 v) {
        for (uint256 i; i < _keys.length && _keys[i] <= key; ++i) v = _values[i];
    }

    function _push(uint256 key, uint256 value) internal {
        _trace.push(key, value);
        _wide.push(key, value);
        if (_keys.length != 0 && _keys[_keys.length - 1] == key) {
            _values[_values.length - 1] = value;
        } else {
            _keys.push(key);
            _values.push(value);
        }
    }

    function testFuzz_matchesReference(uint256 seed, uint8 pushes) public {
        uint256 n = _bound(pushes, 1, 80);
        uint256 key = _bound(seed, 1, 1_000);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i)));
            // a third of the pushes repeat the latest key; the others jump 1..50
            if (r % 3 != 0 || i == 0) key += (r >> 8) % 50 + (i == 0 ? 0 : 1);
            _push(key, (r >> 16) % 4 == 0 ? 0 : uint192(r >> 32));
            assertEq(_trace.latest(), _values[_values.length - 1], "latest");
            assertEq(_trace.length(), _keys.length, "length");
            assertEq(_wide.latest(), _values[_values.length - 1], "wide latest");
            assertEq(_wide.latestKey(), key, "wide latest key");
            assertEq(_wide.length(), _keys.length, "wide length");
        }
        uint256 first = _keys[0];
        for (uint256 k = first - 1; k <= key + 2; ++k) {
            assertEq(_trace.valueAt(k), _refAt(k), "valueAt");
            assertEq(_wide.valueAt(k), _refAt(k), "wide valueAt");
        }
        assertEq(_trace.valueAt(0), 0, "before the first key");
        assertEq(_trace.valueAt(type(uint32).max), _values[_values.length - 1], "far future");
    }

    function test_emptyReadsZero() public view {
        assertEq(_trace.valueAt(123), 0, "empty");
        assertEq(_trace.length(), 0, "empty length");
    }

    function test_rejectsDecreasingKeysAndWideValues() public {
        _trace.push(10, 1);
        vm.expectRevert(abi.encodeWithSelector(History.HistoryKeyDecreased.selector, 10, 9));
        this.pushExternal(9, 2);
        vm.expectRevert(abi.encodeWithSelector(History.HistoryKeyTooLarge.selector, uint256(1) << 32));
        this.pushExternal(uint256(1) << 32, 2);
        vm.expectRevert(abi.encodeWithSelector(History.HistoryValueTooLarge.selector, uint256(1) << 192));
        this.pushExternal(11, uint256(1) << 192);
    }

    /// @notice Wide keeps values of up to 224 bits (an evaluator's packed state) beside the key,
    ///         the count in a word of its own: after random pushes of full-width values, every
    ///         lookup equals the reference, and a wider value or a smaller key is refused.
    function testFuzz_wideMatchesReference(uint256 seed, uint8 pushes) public {
        uint256 n = _bound(pushes, 1, 80);
        uint256 key = _bound(seed, 1, 1_000);
        for (uint256 i; i < n; ++i) {
            uint256 r = uint256(keccak256(abi.encode(seed, i, "wide")));
            if (r % 3 != 0 || i == 0) key += (r >> 8) % 50 + (i == 0 ? 0 : 1);
            uint256 value = (r >> 16) % 4 == 0 ? 0 : uint256(keccak256(abi.encode(r))) >> 32; // 224 bits
            _wide.push(key, value);
            if (_keys.length != 0 && _keys[_keys.length - 1] == key) _values[_values.length - 1] = value;
            else {
                _keys.push(key);
                _values.push(value);
            }
            assertEq(_wide.latest(), value, "latest");
            assertEq(_wide.length(), _keys.length, "length");
        }
        for (uint256 k = _keys[0] - 1; k <= key + 2; ++k) assertEq(_wide.valueAt(k), _refAt(k), "valueAt");
        assertEq(_wide.valueAt(0), 0, "before the first key");
        vm.expectRevert(abi.encodeWithSelector(History.HistoryKeyDecreased.selector, key, key - 1));
        this.pushWideExternal(key - 1, 1);
        vm.expectRevert(abi.encodeWithSelector(History.HistoryValueTooLarge.selector, uint256(1) << 224));
        this.pushWideExternal(key, uint256(1) << 224);
    }

    function pushExternal(uint256 key, uint256 value) external {
        _trace.push(key, value);
    }

    function pushWideExternal(uint256 key, uint256 value) external {
        _wide.push(key, value);
    }
}
