import { asList, decodeForm, FormError, parseKey } from './form';

describe('decodeForm', () => {
  it('decodes nested keys as the SDK sends them', () => {
    const form = decodeForm(
      'type=card&card[token]=tok_visa&billing_details[name]=Ada+Lovelace&billing_details[email]=ada%40example.com' +
        '&billing_details[address][city]=S%C3%A3o%20Paulo&billing_details[address][line2]=',
    );
    expect(form).toEqual({
      type: 'card',
      card: { token: 'tok_visa' },
      billing_details: { name: 'Ada Lovelace', email: 'ada@example.com', address: { city: 'São Paulo', line2: '' } },
    });
  });

  it('accepts percent-encoded brackets', () => {
    expect(decodeForm('metadata%5Border_id%5D=o-1')).toEqual({ metadata: { order_id: 'o-1' } });
  });

  it('keeps indexed keys as keys, which asList reads in index order', () => {
    const form = decodeForm('payment_method_types[1]=link&payment_method_types[0]=card&metadata[10]=x');
    expect(asList(form.payment_method_types)).toEqual(['card', 'link']);
    expect(form.metadata).toEqual({ 10: 'x' });
  });

  it('builds lists from empty brackets', () => {
    const form = decodeForm('expand[]=a&expand[]=b');
    expect(form.expand).toEqual(['a', 'b']);
    expect(asList(form.expand)).toEqual(['a', 'b']);
  });

  it('reads asList as undefined for hashes and strings', () => {
    expect(asList(decodeForm('a[x]=1').a)).toBeUndefined();
    expect(asList('card')).toBeUndefined();
  });

  it('decodes an empty body, a key without value and ignores empty pairs', () => {
    expect(decodeForm('')).toEqual({});
    expect(decodeForm('a&&b=2&')).toEqual({ a: '', b: '2' });
  });

  it.each([
    ['a=1&a=2', 'more than once'],
    ['a=1&a[b]=2', 'Conflicting'],
    ['a[b]=1&a=2', 'more than once'],
    ['a[]=1&a[b]=2', 'Conflicting'],
    ['a[b]=1&a[]=2', 'Conflicting'],
    ['a[]b=1', 'Invalid parameter name'],
    ['[a]=1', 'Invalid parameter name'],
    ['a[=1', 'Invalid parameter name'],
    ['a=%E0%A4%A', 'percent-encoding'],
    ['__proto__[x]=1', 'Invalid parameter name'],
    ['a[constructor]=1', 'Invalid parameter name'],
  ])('rejects %s', (body, message) => {
    expect(() => decodeForm(body)).toThrow(FormError);
    expect(() => decodeForm(body)).toThrow(message);
  });

  it('does not let keys reach Object.prototype', () => {
    expect(() => decodeForm('__proto__[polluted]=yes')).toThrow(FormError);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});

describe('parseKey', () => {
  it('splits bracketed segments', () => {
    expect(parseKey('a')).toEqual(['a']);
    expect(parseKey('a[b][0]')).toEqual(['a', 'b', '0']);
    expect(parseKey('a[]')).toEqual(['a', '']);
  });
});
