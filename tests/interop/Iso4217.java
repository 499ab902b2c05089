// Iso4217.java: the ISO 4217 fraction digits OpenJDK's java.util.Currency
// knows, one "CODE DIGITS" line each (-1: no minor unit), sorted.  Run by
// tests/integration/test_iso4217.py with `java Iso4217.java`.
import java.util.Currency;
import java.util.TreeMap;

public class Iso4217 {
	public static void main(String[] args) {
		TreeMap<String, Integer> m = new TreeMap<>();
		for (Currency c : Currency.getAvailableCurrencies())
			m.put(c.getCurrencyCode(), c.getDefaultFractionDigits());
		m.forEach((k, v) -> System.out.println(k + " " + v));
	}
}
