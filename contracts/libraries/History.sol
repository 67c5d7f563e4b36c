// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

/// @title History
/// @notice A value's history by key (the registry's activation times), like OpenZeppelin's
///         Checkpoints but with the latest entry and the entry count in **one** storage word:
///         reading the value as of a key at or after the latest entry's, what a committee draw
///         does for almost every tree node and slot owner it visits, costs one storage read
///         instead of two (the array length, then its last element). Older entries live in a
///         mapping by index and are searched, recent first, only for a key before the latest.
/// @dev head = count (32 bits) | key (32 bits) | value (192 bits); past[i] = key | value for
///      the i-th older entry (keys ascending). Keys must never decrease across pushes and fit
///      32 bits (Unix times until 2106); values fit 192 bits. A push with the latest key
///      overwrites the latest value.
library History {
    uint256 private constant VALUE_BITS = 192;
    uint256 private constant VALUE_MASK = (uint256(1) << VALUE_BITS) - 1;
    uint256 private constant KEY_MASK = 0xffffffff;

    error HistoryKeyDecreased(uint256 latest, uint256 key);
    error HistoryKeyTooLarge(uint256 key);
    error HistoryValueTooLarge(uint256 value);

    struct Trace {
        uint256 head;
        mapping(uint256 => uint256) past;
    }

    /// @notice Records `value` from `key` on.
    function push(Trace storage t, uint256 key, uint256 value) internal {
        if (key > KEY_MASK) revert HistoryKeyTooLarge(key);
        if (value > VALUE_MASK) revert HistoryValueTooLarge(value);
        uint256 head = t.head;
        if (head == 0) {
            t.head = (key << VALUE_BITS) | value;
            return;
        }
        uint256 last = (head >> VALUE_BITS) & KEY_MASK;
        if (key < last) revert HistoryKeyDecreased(last, key);
        if (key == last) {
            t.head = (head & ~VALUE_MASK) | value;
            return;
        }
        uint256 count = head >> (VALUE_BITS + 32);
        t.past[count] = head & ((KEY_MASK << VALUE_BITS) | VALUE_MASK);
        t.head = ((count + 1) << (VALUE_BITS + 32)) | (key << VALUE_BITS) | value;
    }

    /// @notice The latest value (0 when empty).
    function latest(Trace storage t) internal view returns (uint256) {
        return t.head & VALUE_MASK;
    }

    /// @notice The value in force at `key`: that of the last entry whose key is at most `key`
    ///         (0 before the first). One storage read when `key` is at or after the latest.
    function valueAt(Trace storage t, uint256 key) internal view returns (uint256) {
        uint256 head = t.head;
        if ((head >> VALUE_BITS) & KEY_MASK <= key) return head & VALUE_MASK; // also: empty
        // search the older entries for the last key <= `key`, the most recent first (OpenZeppelin's
        // upperLookupRecent: a probe sqrt(count) from the end, then a binary search)
        uint256 high = head >> (VALUE_BITS + 32);
        uint256 low;
        if (high > 5) {
            uint256 mid = high - _sqrt(high);
            if (key < _keyOf(t.past[mid])) high = mid;
            else low = mid + 1;
        }
        while (low < high) {
            uint256 mid = (low + high) >> 1;
            if (_keyOf(t.past[mid]) > key) high = mid;
            else low = mid + 1;
        }
        return high == 0 ? 0 : t.past[high - 1] & VALUE_MASK;
    }

    /// @notice Number of entries (older ones plus the latest).
    function length(Trace storage t) internal view returns (uint256) {
        uint256 head = t.head;
        return head == 0 ? 0 : (head >> (VALUE_BITS + 32)) + 1;
    }

    function _keyOf(uint256 entry) private pure returns (uint256) {
        return (entry >> VALUE_BITS) & KEY_MASK;
    }

    function _sqrt(uint256 x) private pure returns (uint256 r) {
        // floor(sqrt(x)) for the probe; x < 2^32
        r = x;
        uint256 y = (x + 1) >> 1;
        while (y < r) {
            r = y;
            y = (x / y + y) >> 1;
        }
    }
}
