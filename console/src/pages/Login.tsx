import { type FormEvent, useState } from "react";
import { type Me, login } from "../api";

export function Login({ onIn }: { onIn: (me: Me) => void }) {
  const [error, setError] = useState("");
  const submit = (e: FormEvent<HTMLFormElement>): void => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError("");
    login(String(f.get("name")), String(f.get("password"))).then((me) => (me ? onIn(me) : setError("logged in, but the session was not kept")), (err: Error) => setError(err.message));
  };
  return (
    <form className="login" onSubmit={submit}>
      <h1>Cordon</h1>
      <label>Name <input name="name" autoComplete="username" required autoFocus /></label>
      <label>Password <input name="password" type="password" autoComplete="current-password" required /></label>
      <button type="submit">Log in</button>
      {error && <p role="alert" className="error">{error}</p>}
    </form>
  );
}
