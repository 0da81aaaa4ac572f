package stripetest

// templates hold the data.object of realistic events, keyed by event type
// or by object kind (see objectKind). Their %[n] verbs index values().
var templates = map[string]string{
	"invoice":        invoiceTmpl,
	"subscription":   subscriptionTmpl,
	"payment_intent": paymentIntentTmpl,
	"charge":         chargeTmpl,
	"customer":       customerTmpl,
}

const invoiceTmpl = `{
      "id": "%[3]s",
      "object": "invoice",
      "account_country": "US",
      "account_name": "Hookledger Test Co.",
      "amount_due": %[7]d,
      "amount_paid": %[7]d,
      "amount_remaining": 0,
      "attempt_count": 1,
      "attempted": true,
      "auto_advance": false,
      "billing_reason": "subscription_cycle",
      "charge": "%[5]s",
      "collection_method": "charge_automatically",
      "created": %[1]d,
      "currency": "usd",
      "customer": "%[2]s",
      "customer_email": "%[11]s",
      "customer_name": null,
      "description": null,
      "hosted_invoice_url": "https://invoice.stripe.com/i/acct_1Hook/test_%[18]s",
      "invoice_pdf": "https://pay.stripe.com/invoice/acct_1Hook/test_%[18]s/pdf",
      "lines": {
        "object": "list",
        "data": [
          {
            "id": "%[17]s",
            "object": "line_item",
            "amount": %[7]d,
            "currency": "usd",
            "description": "1 × Pro plan (at $%[7]d.00 / month)",
            "discountable": true,
            "livemode": false,
            "metadata": {},
            "period": {
              "end": %[13]d,
              "start": %[1]d
            },
            "price": {
              "id": "%[8]s",
              "object": "price",
              "product": "%[9]s",
              "type": "recurring",
              "unit_amount": %[7]d
            },
            "proration": false,
            "quantity": 1,
            "subscription": "%[4]s",
            "subscription_item": "%[16]s",
            "type": "subscription"
          }
        ],
        "has_more": false,
        "total_count": 1,
        "url": "/v1/invoices/%[3]s/lines"
      },
      "livemode": false,
      "metadata": {},
      "number": "%[12]s",
      "paid": true,
      "paid_out_of_band": false,
      "payment_intent": "%[6]s",
      "period_end": %[1]d,
      "period_start": %[1]d,
      "status": "paid",
      "status_transitions": {
        "finalized_at": %[1]d,
        "paid_at": %[1]d
      },
      "subscription": "%[4]s",
      "subtotal": %[7]d,
      "tax": null,
      "total": %[7]d,
      "webhooks_delivered_at": %[1]d
    }`

const subscriptionTmpl = `{
      "id": "%[4]s",
      "object": "subscription",
      "application": null,
      "automatic_tax": {
        "enabled": false
      },
      "billing_cycle_anchor": %[1]d,
      "billing_thresholds": null,
      "cancel_at": null,
      "cancel_at_period_end": false,
      "canceled_at": null,
      "collection_method": "charge_automatically",
      "created": %[1]d,
      "currency": "usd",
      "current_period_end": %[13]d,
      "current_period_start": %[1]d,
      "customer": "%[2]s",
      "days_until_due": null,
      "default_payment_method": "%[10]s",
      "description": null,
      "discount": null,
      "ended_at": null,
      "items": {
        "object": "list",
        "data": [
          {
            "id": "%[16]s",
            "object": "subscription_item",
            "created": %[1]d,
            "metadata": {},
            "price": {
              "id": "%[8]s",
              "object": "price",
              "active": true,
              "billing_scheme": "per_unit",
              "created": %[1]d,
              "currency": "usd",
              "livemode": false,
              "product": "%[9]s",
              "recurring": {
                "interval": "month",
                "interval_count": 1,
                "usage_type": "licensed"
              },
              "tax_behavior": "unspecified",
              "type": "recurring",
              "unit_amount": %[7]d,
              "unit_amount_decimal": "%[7]d"
            },
            "quantity": 1,
            "subscription": "%[4]s",
            "tax_rates": []
          }
        ],
        "has_more": false,
        "total_count": 1,
        "url": "/v1/subscription_items?subscription=%[4]s"
      },
      "latest_invoice": "%[3]s",
      "livemode": false,
      "metadata": {},
      "pause_collection": null,
      "start_date": %[1]d,
      "status": "active",
      "trial_end": null,
      "trial_start": null
    }`

const paymentIntentTmpl = `{
      "id": "%[6]s",
      "object": "payment_intent",
      "amount": %[7]d,
      "amount_capturable": 0,
      "amount_details": {
        "tip": {}
      },
      "amount_received": %[7]d,
      "application": null,
      "application_fee_amount": null,
      "automatic_payment_methods": {
        "allow_redirects": "always",
        "enabled": true
      },
      "canceled_at": null,
      "cancellation_reason": null,
      "capture_method": "automatic",
      "client_secret": "%[6]s_secret_%[18]s",
      "confirmation_method": "automatic",
      "created": %[1]d,
      "currency": "usd",
      "customer": "%[2]s",
      "description": "Subscription update",
      "invoice": "%[3]s",
      "last_payment_error": null,
      "latest_charge": "%[5]s",
      "livemode": false,
      "metadata": {
        "order_id": "%[12]s",
        "integration": "hookledger"
      },
      "next_action": null,
      "on_behalf_of": null,
      "payment_method": "%[10]s",
      "payment_method_configuration_details": null,
      "payment_method_options": {
        "card": {
          "installments": null,
          "mandate_options": null,
          "network": null,
          "request_three_d_secure": "automatic"
        },
        "link": {
          "persistent_token": null
        }
      },
      "payment_method_types": [
        "card",
        "link"
      ],
      "processing": null,
      "receipt_email": "%[11]s",
      "review": null,
      "setup_future_usage": "off_session",
      "shipping": {
        "address": {
          "city": "San Francisco",
          "country": "US",
          "line1": "510 Townsend St",
          "line2": null,
          "postal_code": "94103",
          "state": "CA"
        },
        "carrier": null,
        "name": "Jenny Rosen",
        "phone": null,
        "tracking_number": null
      },
      "source": null,
      "statement_descriptor": null,
      "statement_descriptor_suffix": null,
      "status": "succeeded",
      "transfer_data": null,
      "transfer_group": null
    }`

const chargeTmpl = `{
      "id": "%[5]s",
      "object": "charge",
      "amount": %[7]d,
      "amount_captured": %[7]d,
      "amount_refunded": %[7]d,
      "application": null,
      "application_fee": null,
      "balance_transaction": "%[15]s",
      "billing_details": {
        "email": "%[11]s",
        "name": null,
        "phone": null
      },
      "calculated_statement_descriptor": "HOOKLEDGER",
      "captured": true,
      "created": %[1]d,
      "currency": "usd",
      "customer": "%[2]s",
      "description": "Subscription update",
      "disputed": false,
      "failure_code": null,
      "failure_message": null,
      "fraud_details": {},
      "invoice": "%[3]s",
      "livemode": false,
      "metadata": {},
      "outcome": {
        "network_status": "approved_by_network",
        "reason": null,
        "risk_level": "normal",
        "risk_score": 42,
        "seller_message": "Payment complete.",
        "type": "authorized"
      },
      "paid": true,
      "payment_intent": "%[6]s",
      "payment_method": "%[10]s",
      "payment_method_details": {
        "card": {
          "brand": "visa",
          "country": "US",
          "exp_month": 12,
          "exp_year": 2034,
          "fingerprint": "%[18]s",
          "funding": "credit",
          "last4": "%[19]s",
          "network": "visa"
        },
        "type": "card"
      },
      "receipt_email": "%[11]s",
      "receipt_url": "https://pay.stripe.com/receipts/invoices/%[18]s",
      "refunded": true,
      "refunds": {
        "object": "list",
        "data": [
          {
            "id": "%[14]s",
            "object": "refund",
            "amount": %[7]d,
            "balance_transaction": "%[15]s",
            "charge": "%[5]s",
            "created": %[1]d,
            "currency": "usd",
            "payment_intent": "%[6]s",
            "reason": "requested_by_customer",
            "status": "succeeded"
          }
        ],
        "has_more": false,
        "total_count": 1,
        "url": "/v1/charges/%[5]s/refunds"
      },
      "status": "succeeded"
    }`

const customerTmpl = `{
      "id": "%[2]s",
      "object": "customer",
      "address": null,
      "balance": 0,
      "created": %[1]d,
      "currency": "usd",
      "default_source": null,
      "delinquent": false,
      "description": null,
      "email": "%[11]s",
      "invoice_prefix": "%[18]s",
      "invoice_settings": {
        "custom_fields": null,
        "default_payment_method": "%[10]s",
        "footer": null
      },
      "livemode": false,
      "metadata": {},
      "name": null,
      "preferred_locales": [],
      "tax_exempt": "none"
    }`
