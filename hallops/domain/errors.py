"""Every refusal the server can give: one catalogue of machine-readable codes, and the kinds of refusal.

A refusal is a `DomainError` subclass (what kind: not found, conflict, forbidden …) with a code from `E`
and a message for people (Chinese first, English in brackets). Which HTTP status each kind becomes is decided
in hallops/http/errors.py, not here.
"""

from __future__ import annotations

from enum import StrEnum


class E(StrEnum):
    """The error codes clients see in `{"error": code}`; a code, once published, keeps its meaning."""

    ALERT_NOT_FOUND = "alert_not_found"
    ALREADY_ACKNOWLEDGED = "already_acknowledged"
    ALREADY_EXISTS = "already_exists"
    ALREADY_SENT = "already_sent"
    APPOINTMENT_CANCELLED = "appointment_cancelled"
    APPOINTMENT_NOT_BOOKED = "appointment_not_booked"
    APPOINTMENT_NOT_FOUND = "appointment_not_found"
    BAD_APPOINTMENT = "bad_appointment"
    BAD_AUTHORIZATION = "bad_authorization"
    BAD_CODE = "bad_code"
    BAD_CREDENTIALS = "bad_credentials"
    BAD_DATE = "bad_date"
    BAD_DIMENSION = "bad_dimension"
    BAD_HOURS = "bad_hours"
    BAD_IDEMPOTENCY_KEY = "bad_idempotency_key"
    BAD_JSON = "bad_json"
    JSON_TOO_DEEP = "json_too_deep"
    OUT_OF_RANGE = "out_of_range"
    BAD_PARENT = "bad_parent"
    BAD_PERIOD = "bad_period"
    BAD_PHONE = "bad_phone"
    BAD_PREFIX = "bad_prefix"
    BAD_QUERY = "bad_query"
    BAD_QUEUE = "bad_queue"
    BAD_REQUEST = "bad_request"
    BAD_ROLE = "bad_role"
    BAD_SLOT_LENGTH = "bad_slot_length"
    BAD_SLOT_SPAN = "bad_slot_span"
    BAD_START = "bad_start"
    BAD_TIME = "bad_time"
    BAD_TIMEZONE = "bad_timezone"
    BAD_USERNAME = "bad_username"
    BAD_WEEKDAYS = "bad_weekdays"
    BOOKINGS_REFUSED = "bookings_refused"
    BRIEFING_NOT_FOUND = "briefing_not_found"
    CANCEL_LIMITED = "cancel_limited"
    CHECKIN_TOO_EARLY = "checkin_too_early"
    CHECKIN_TOO_LATE = "checkin_too_late"
    CLERK_ELSEWHERE = "clerk_elsewhere"
    CLERK_NOT_FOUND = "clerk_not_found"
    CODE_TAKEN = "code_taken"
    CODES_EXHAUSTED = "codes_exhausted"
    CSRF_FAILED = "csrf_failed"
    CSV_COLUMNS = "csv_columns"
    CSV_INVALID = "csv_invalid"
    CSV_TOO_LONG = "csv_too_long"
    BAD_TEXT = "bad_text"
    DATABASE_BUSY = "database_busy"
    OUTCOME_UNKNOWN = "outcome_unknown"
    DISK_FULL = "disk_full"
    DATABASE_READ_ONLY = "database_read_only"
    DATABASE_GONE = "database_gone"
    DATABASE_UNAVAILABLE = "database_unavailable"
    DATE_OUT_OF_RANGE = "date_out_of_range"
    DELIVERY_NOT_FOUND = "delivery_not_found"
    DEPARTMENT_NOT_FOUND = "department_not_found"
    DEVICE_UNKNOWN = "device_unknown"
    DUE_IN_PAST = "due_in_past"
    DUPLICATE_CODE = "duplicate_code"
    DUPLICATE_ITEM = "duplicate_item"
    DUPLICATE_QUEUE = "duplicate_queue"
    EMPTY_CSV = "empty_csv"
    FINDING_CLOSED = "finding_closed"
    FINDING_NOT_FOUND = "finding_not_found"
    FORBIDDEN = "forbidden"
    HALL_NOT_FOUND = "hall_not_found"
    HALL_REQUIRED = "hall_required"
    HTTP_ERROR = "http_error"
    IDEMPOTENCY_KEY_REUSED = "idempotency_key_reused"
    ILLEGAL_TRANSITION = "illegal_transition"
    INTERNAL_ERROR = "internal_error"
    INVALID_INPUT = "invalid_input"
    INVALID_TOKEN = "invalid_token"
    ITEM_HAS_FINDING = "item_has_finding"
    ITEM_NOT_FOUND = "item_not_found"
    ITEMS_UNCHECKED = "items_unchecked"
    METHOD_NOT_ALLOWED = "method_not_allowed"
    MOBILE_DISABLED = "mobile_disabled"
    NO_WEBHOOKS = "no_webhooks"
    NOT_A_KIOSK = "not_a_kiosk"
    NOT_FOUND = "not_found"
    NOT_KEY_WINDOW = "not_key_window"
    NOT_PER_QUEUE = "not_per_queue"
    NOT_YOUR_TICKET = "not_your_ticket"
    NOT_YOUR_WINDOW = "not_your_window"
    NOTE_REQUIRED = "note_required"
    NUMBER_TAKEN = "number_taken"
    OUTSIDE_HOURS = "outside_hours"
    OWN_RECTIFICATION = "own_rectification"
    PATROL_CLOSED = "patrol_closed"
    PATROL_HAS_FINDINGS = "patrol_has_findings"
    PATROL_NOT_FOUND = "patrol_not_found"
    PAYLOAD_TOO_LARGE = "payload_too_large"
    PERIOD_TOO_LONG = "period_too_long"
    PHOTO_NOT_FOUND = "photo_not_found"
    PRINTER_HOST_REQUIRED = "printer_host_required"
    PRIORITY_NOT_ON_KIOSK = "priority_not_on_kiosk"
    PRIORITY_NOT_ON_PHONE = "priority_not_on_phone"
    QUEUE_FULL = "queue_full"
    QUEUE_NOT_FOUND = "queue_not_found"
    QUEUES_REQUIRED = "queues_required"
    RATE_LIMITED = "rate_limited"
    REASON_REQUIRED = "reason_required"
    RECALL_LIMIT_REACHED = "recall_limit_reached"
    RESERVED_CODE = "reserved_code"
    SCOPE_NOT_ALLOWED = "scope_not_allowed"
    SCOPE_REQUIRED = "scope_required"
    SLOT_FULL = "slot_full"
    SLOT_NOT_FOUND = "slot_not_found"
    SUBJECT_REQUIRED = "subject_required"
    TICKET_NOT_FOUND = "ticket_not_found"
    TICKET_NOT_WAITING = "ticket_not_waiting"
    TICKETS_PARKED = "tickets_parked"
    TICKETS_WAITING_FOR_WINDOW = "tickets_waiting_for_window"
    TOKEN_NOT_FOUND = "token_not_found"
    TOO_MANY_ATTEMPTS = "too_many_attempts"
    TRANSFER_TARGET_MISSING = "transfer_target_missing"
    UNAUTHENTICATED = "unauthenticated"
    UNKNOWN_CATEGORY = "unknown_category"
    UNKNOWN_ITEM = "unknown_item"
    UNSUPPORTED_MEDIA_TYPE = "unsupported_media_type"
    USER_NOT_FOUND = "user_not_found"
    USERNAME_TAKEN = "username_taken"
    WEAK_PASSWORD = "weak_password"
    WEBHOOK_NOT_FOUND = "webhook_not_found"
    WEBSOCKET_REQUIRED = "websocket_required"
    WINDOW_BUSY = "window_busy"
    WINDOW_IN_OTHER_HALL = "window_in_other_hall"
    WINDOW_IN_USE = "window_in_use"
    WINDOW_NEEDS_CLERK_ROLE = "window_needs_clerk_role"
    WINDOW_NOT_ALLOWED = "window_not_allowed"
    WINDOW_NOT_FOUND = "window_not_found"
    WINDOW_NOT_OPEN = "window_not_open"
    WINDOW_REQUIRED = "window_required"
    # 好差评, follow-ups, cases and the working-day calendar (issue 12)
    ALREADY_APPEALED = "already_appealed"
    ALREADY_RATED = "already_rated"
    BAD_CASE_NUMBER = "bad_case_number"
    BAD_EXTENSION = "bad_extension"
    BAD_IMPORT = "bad_import"
    BAD_RATING = "bad_rating"
    CASE_CLOSED = "case_closed"
    CASE_NOT_FOUND = "case_not_found"
    DUPLICATE_CASE = "duplicate_case"
    EXTENSION_PENDING = "extension_pending"
    FOLLOWUP_NOT_FOUND = "followup_not_found"
    NO_EXTENSION_PENDING = "no_extension_pending"
    NOT_RATEABLE = "not_rateable"
    OWN_APPEAL = "own_appeal"
    RATING_EXPIRED = "rating_expired"
    RATING_NEEDS_REASON = "rating_needs_reason"
    STAFF_CANNOT_RATE = "staff_cannot_rate"
    WRONG_PAD = "wrong_pad"
    # The citizen's side (issue 15): identity, texts, phone bookings, search.
    BAD_ID_NUMBER = "bad_id_number"
    BAD_IDENTITY_CODE = "bad_identity_code"
    IDENTITY_UNAVAILABLE = "identity_unavailable"
    IDENTITY_REJECTED = "identity_rejected"
    IDENTITY_EXPIRED = "identity_expired"
    PERSON_DAILY_LIMIT = "person_daily_limit"
    BOOKING_BLOCKED = "booking_blocked"
    BOOKING_OUT_OF_RANGE = "booking_out_of_range"
    BOOKING_DUPLICATE = "booking_duplicate"
    NOT_YOUR_BOOKING = "not_your_booking"
    BAD_MOBILE = "bad_mobile"
    BAD_AHEAD = "bad_ahead"
    TICKET_ENDED = "ticket_ended"
    BAD_POSTER_SIZE = "bad_poster_size"
    # The admin console (issue 13): accounts, archiving refusals, imports, bundles.
    ACCOUNT_DISABLED = "account_disabled"
    BAD_RESET_CODE = "bad_reset_code"
    BUNDLE_NOT_FOUND = "bundle_not_found"
    COMMON_PASSWORD = "common_password"
    DEPARTMENT_IN_USE = "department_in_use"
    IMPORT_TOO_LARGE = "import_too_large"
    IMPORT_INVALID = "import_invalid"
    ITEM_IN_BUNDLE = "item_in_bundle"
    ITEM_IN_USE_TODAY = "item_in_use_today"
    LAST_WINDOW_FOR_QUEUE = "last_window_for_queue"
    OWN_ACCOUNT = "own_account"
    PASSWORD_CHANGE_REQUIRED = "password_change_required"
    PASSWORD_TOO_LONG = "password_too_long"
    QUEUE_HAS_TICKETS = "queue_has_tickets"
    SAME_PASSWORD = "same_password"
    WRONG_PASSWORD = "wrong_password"
    OWN_CENTRE = "own_centre"
    NOT_A_SUB_CENTRE = "not_a_sub_centre"
    NOT_A_DISTRICT = "not_a_district"
    VISIT_NOT_FOUND = "visit_not_found"
    VISIT_IN_PROGRESS = "visit_in_progress"
    VISIT_HAS_FINDINGS = "visit_has_findings"


class DomainError(Exception):
    """A refused request. `code` is machine-readable, `message` is for people (Chinese first)."""

    def __init__(self, code: E | str, message: str, **detail: object) -> None:
        super().__init__(message)
        self.code = str(code)
        self.message = message
        self.detail = detail


class InvalidInput(DomainError):
    """The request is malformed or a value is out of range."""


class UnsupportedMediaType(DomainError):
    """The body or upload is of a type not accepted."""


class NotFound(DomainError):
    """No such thing, or not visible to this actor (another hall's objects do not exist for them)."""


class Conflict(DomainError):
    """An illegal transition or a state that does not allow the action: nothing was changed."""


class Forbidden(DomainError):
    """This actor may not do this."""


class Unauthorized(DomainError):
    """Nobody signed in, or the credentials are wrong."""


class TooManyRequests(DomainError):
    """A limit on how often was reached."""


class Unavailable(DomainError):
    """The server cannot do it now (storage full, read-only or gone): nothing was changed; retry later."""
