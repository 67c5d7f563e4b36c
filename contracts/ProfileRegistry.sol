// SPDX-License-Identifier: Apache-2.0
pragma solidity ^0.8.28;

import {AccessControl} from "@openzeppelin/contracts/access/AccessControl.sol";

/// @title ProfileRegistry
/// @notice The scoring profiles a task may name. A profile is the keccak256 hash of a scoring
///         profile's canonical JSON (oracle/scoring/profile.ts) plus where to fetch it. Only
///         PROFILE_ADMIN_ROLE (a TimelockController in deployments) registers or retires one,
///         so a task can never name a profile no evaluator serves, and nobody can fill the
///         registry's MAX_PROFILES slots for free.
/// @dev Each profile gets a small id (0..MAX_PROFILES-1): evaluators declare the profiles they
///      serve as a bit mask of ids (one word in the EvaluatorRegistry), which keeps sampling's
///      profile filter free of extra storage reads.
contract ProfileRegistry is AccessControl {
    /// @notice May register and retire profiles.
    bytes32 public constant PROFILE_ADMIN_ROLE = keccak256("PROFILE_ADMIN_ROLE");
    /// @notice Most profiles ever registered (ids fit the evaluators' 16-bit serve mask).
    uint256 public constant MAX_PROFILES = 16;

    /// @notice A registered profile.
    struct Profile {
        bool registered;
        bool active; // new tasks may name it
        uint8 id; // bit of the evaluators' serve mask
        string uri; // where to fetch the profile JSON
    }

    mapping(bytes32 => Profile) internal _profiles;
    /// @notice Registered profile hashes by id.
    bytes32[] public hashes;
    /// @notice Bit i set: the profile with id i is active (tasks may name it).
    uint256 public activeMask;

    event ProfileRegistered(bytes32 indexed profileHash, uint8 id, string uri);
    event ProfileRetired(bytes32 indexed profileHash);

    error ZeroAddress();
    error InvalidProfile();
    error ProfileExists(bytes32 profileHash);
    error UnknownProfile(bytes32 profileHash);
    error TooManyProfiles();

    /// @param admin gets DEFAULT_ADMIN_ROLE and PROFILE_ADMIN_ROLE (hand them to a timelock)
    constructor(address admin) {
        if (admin == address(0)) revert ZeroAddress();
        _grantRole(DEFAULT_ADMIN_ROLE, admin);
        _grantRole(PROFILE_ADMIN_ROLE, admin);
    }

    /// @notice Registers `profileHash`, fetchable at `uri` (PROFILE_ADMIN_ROLE).
    function register(bytes32 profileHash, string calldata uri) external onlyRole(PROFILE_ADMIN_ROLE) {
        if (profileHash == bytes32(0)) revert InvalidProfile();
        if (_profiles[profileHash].registered) revert ProfileExists(profileHash);
        uint256 id = hashes.length;
        if (id >= MAX_PROFILES) revert TooManyProfiles();
        _profiles[profileHash] = Profile({registered: true, active: true, id: uint8(id), uri: uri});
        hashes.push(profileHash);
        activeMask |= uint256(1) << id;
        emit ProfileRegistered(profileHash, uint8(id), uri);
    }

    /// @notice Stops new tasks from naming `profileHash` (PROFILE_ADMIN_ROLE). Running tasks
    ///         settle normally; evaluators may keep serving it until they change their mask.
    function retire(bytes32 profileHash) external onlyRole(PROFILE_ADMIN_ROLE) {
        Profile storage p = _profiles[profileHash];
        if (!p.registered || !p.active) revert UnknownProfile(profileHash);
        p.active = false;
        activeMask &= ~(uint256(1) << p.id);
        emit ProfileRetired(profileHash);
    }

    /// @notice The serve-mask bit of an active profile; reverts UnknownProfile otherwise.
    function activeBit(bytes32 profileHash) external view returns (uint256) {
        Profile storage p = _profiles[profileHash];
        if (!p.active) revert UnknownProfile(profileHash);
        return uint256(1) << p.id;
    }

    /// @notice The serve mask of a list of active profiles; reverts UnknownProfile for an
    ///         unregistered or retired one (serving a profile no task may name would be a way to
    ///         hold a registry place without ever being drawn).
    function maskOf(bytes32[] calldata profileHashes) external view returns (uint256 mask) {
        for (uint256 i; i < profileHashes.length; ++i) {
            Profile storage p = _profiles[profileHashes[i]];
            if (!p.active) revert UnknownProfile(profileHashes[i]);
            mask |= uint256(1) << p.id;
        }
    }

    /// @notice A profile's record (registered false for unknown hashes).
    function getProfile(bytes32 profileHash) external view returns (Profile memory) {
        return _profiles[profileHash];
    }

    /// @notice Number of registered profiles.
    function profileCount() external view returns (uint256) {
        return hashes.length;
    }
}
