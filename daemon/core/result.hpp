#pragma once
// Result<T>: a value or a human-readable error, for failures that are expected (bad input,
// bad keys, bad DNS data). Exceptions are kept for fatal errors only.

#include <string>
#include <utility>
#include <variant>

namespace dkimwatch {

struct Error {
    std::string message;
};

template <typename T>
class Result {
public:
    Result(T value) : m_value(std::move(value)) {}
    Result(Error error) : m_value(std::move(error)) {}

    bool ok() const { return std::holds_alternative<T>(m_value); }
    explicit operator bool() const { return ok(); }

    // Precondition: ok().
    const T& value() const& { return std::get<T>(m_value); }
    T& value() & { return std::get<T>(m_value); }
    T&& value() && { return std::get<T>(std::move(m_value)); }
    const T& operator*() const& { return value(); }
    const T* operator->() const { return &value(); }

    // Precondition: !ok().
    const std::string& error() const { return std::get<Error>(m_value).message; }

private:
    std::variant<T, Error> m_value;
};

} // namespace dkimwatch
